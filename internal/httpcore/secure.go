package httpcore

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseBase checks an API base URL and returns it as scheme://host[/path],
// without trailing slashes. label names the setting in errors ("API URL").
// Only https is accepted, except plain http to a loopback host (127.0.0.0/8,
// ::1, localhost), where a credential does not cross a network. User info,
// queries and fragments are refused: they would end up in logs or be
// silently dropped.
func ParseBase(label, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("%s is empty", label)
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", label, raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("%s %q: must start with https://", label, raw)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%s %q: no host", label, raw)
	}
	if u.User != nil {
		v := *u
		v.User = url.User("REDACTED")
		return "", fmt.Errorf("%s %q: must not contain credentials", label, v.String())
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("%s %q: must not have a query or fragment", label, raw)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return "", fmt.Errorf("%s %q: plain http is allowed only for a loopback host (127.0.0.1, ::1, localhost); use https", label, raw)
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// IsLoopback reports whether host (without port) is localhost or a
// loopback IP address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OneLine writes text a server sent (an error message) on one line:
// line breaks as \n and \r, other control characters as \xNN. A message
// ends up in log lines and errors, where a line break of its own would
// start a line that looks like the tool's.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case isControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// CheckCredential trims a credential pasted with its newline and refuses
// one that cannot go in a header, rather than failing (and being retried)
// on every request. The error never quotes the credential.
func CheckCredential(what, s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", fmt.Errorf("%s contains spaces or control characters", what)
	}
	return s, nil
}
