package httpcore

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
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

// Redactor replaces secrets in text a server sent back (an error message
// may echo the request) with "REDACTED". A secret is found in any letter
// case and with any of its characters percent-encoded, as a proxy or a
// framework may have rewritten it. The zero value and nil redact nothing.
type Redactor struct{ re *regexp.Regexp }

// NewRedactor returns a Redactor for the non-empty secrets.
func NewRedactor(secrets ...string) *Redactor {
	var alts []string
	for _, s := range secrets {
		switch {
		case s == "":
		case len(s) < minSubstringSecret:
			// A short test or sandbox key ("k", "sandbox") would eat
			// ordinary words ("krispViva") if matched inside them.
			alts = append(alts, `\b`+secretPattern(s)+`\b`)
		default:
			alts = append(alts, secretPattern(s))
		}
	}
	if len(alts) == 0 {
		return &Redactor{}
	}
	return &Redactor{re: regexp.MustCompile("(?i)" + strings.Join(alts, "|"))}
}

// minSubstringSecret is the shortest secret matched inside other text;
// shorter ones are matched as whole words only. Real API keys and tokens
// are far longer.
const minSubstringSecret = 8

// secretPattern matches s with each character either as itself or as its
// UTF-8 bytes percent-encoded ((?i) covers letter case and hex digits).
func secretPattern(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString("(?:" + regexp.QuoteMeta(string(r)) + "|")
		var buf [utf8.UTFMax]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			fmt.Fprintf(&b, "%%%02X", c)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Redact returns s with every form of the secrets replaced.
func (r *Redactor) Redact(s string) string {
	if r == nil || r.re == nil {
		return s
	}
	return r.re.ReplaceAllLiteralString(s, "REDACTED")
}

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
