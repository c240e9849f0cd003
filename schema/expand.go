package schema

import (
	"fmt"
	"strings"
)

// expandError is a failed ${...} expansion, with a hint for the user.
type expandError struct{ msg, hint string }

func (e *expandError) Error() string { return e.msg }

// expander expands the ${VAR} references of string values.
type expander struct {
	lookup  func(string) (string, bool)
	secrets secrets
}

// credentialHint says why a credential never goes into the config.
const credentialHint = "config values are sent to the API and shown in plans and pull-request comments; keep secrets in a secret set and name it with secretSet"

// expand replaces ${VAR} and ${VAR:-default} with values from lookup; $${
// is a literal ${. Like the shell, ":-" also applies when VAR is set but
// empty. A default is taken literally (no nested references) and the result
// is not expanded again, so the output is bounded. It refuses credentials
// (see secrets.go) and never quotes a variable's value in an error.
func (x *expander) expand(s string) (string, error) {
	if !strings.Contains(s, "${") {
		if c := x.secrets.holder(s); c != "" {
			return "", &expandError{fmt.Sprintf("the value holds the value of %s; credentials never go into the config", c), credentialHint}
		}
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", &expandError{"unterminated ${ in " + quote(s), "write $${ for a literal ${"}
			}
			ref := s[i+2 : i+2+end]
			name, def, hasDef := strings.Cut(ref, ":-")
			if !isVarName(name) {
				return "", &expandError{fmt.Sprintf("invalid variable reference ${%s}", ref),
					"write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _; write $${ for a literal ${"}
			}
			if credentialName(name) {
				return "", &expandError{fmt.Sprintf("${%s} is a credential; it is never expanded", name), credentialHint}
			}
			v, ok := x.lookup(name)
			if c := x.secrets.holder(v); ok && c != "" {
				return "", &expandError{fmt.Sprintf("${%s} holds the value of %s; it is never expanded", name, c), credentialHint}
			}
			if !ok || (hasDef && v == "") {
				if !hasDef {
					return "", &expandError{fmt.Sprintf("environment variable %s is not set", name),
						fmt.Sprintf("set %s, or give a default: ${%s:-value}", name, name)}
				}
				v = def
			}
			b.WriteString(v)
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	// A credential split over two variables, or written as a default.
	if c := x.secrets.holder(b.String()); c != "" {
		return "", &expandError{fmt.Sprintf("the expanded value holds the value of %s; credentials never go into the config", c), credentialHint}
	}
	return b.String(), nil
}

func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// quote quotes s for a message, shortened so that a huge value cannot make
// the message huge.
func quote(s string) string {
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return fmt.Sprintf("%q", s)
}
