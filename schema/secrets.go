package schema

import (
	"slices"
	"sort"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/internal/redact"
)

// Config values are sent to the Pipecat Cloud API and printed in plans,
// pull-request comments, job summaries and errors, so no credential may
// reach one through ${VAR}. Two rules, both always on:
//
//   - by name: variables that hold credentials by convention are never
//     read (credentialName), set or not;
//   - by value: a variable whose value contains a credential the caller
//     holds (LoadOptions.Secrets: the API key, the GitHub token) or a
//     value of one of the file's secret sets is never used, whatever its
//     name, and no string value may contain one. A credential of 8
//     characters or more is found in the forms package internal/redact
//     matches (any 12 characters of it in a row, any case, '-' for '_',
//     escaped); a shorter one only as the whole value.
//
// An allow-list would be stricter but would break every config that uses
// ${IMAGE_TAG} today, and it still needs the value rule for a variable
// allowed by mistake.

// CredentialVars are the environment variables holding the credentials of
// this tool and of the GitHub Actions runner. A caller passes their values
// as LoadOptions.Secrets so that a copy under another name is refused too.
var CredentialVars = []string{
	"PIPECAT_API_KEY",
	"GITHUB_TOKEN",
	"GH_TOKEN",
	"ACTIONS_RUNTIME_TOKEN",
	"ACTIONS_ID_TOKEN_REQUEST_TOKEN",
}

// credentialName reports whether a variable holds a credential by its
// name: one of CredentialVars, anything the Actions runner sets for itself
// (ACTIONS_*, RUNNER_*), or a name ending in a credential word
// (NPM_TOKEN, DB_PASSWORD, AWS_SECRET_ACCESS_KEY). Case is ignored, as
// Windows ignores it. A bare _SECRET suffix is not a credential word:
// PULL_SECRET may well name a secret set, which is a config value.
func credentialName(name string) bool {
	n := strings.ToUpper(name)
	for _, c := range CredentialVars {
		if n == c {
			return true
		}
	}
	if strings.HasPrefix(n, "ACTIONS_") || strings.HasPrefix(n, "RUNNER_") {
		return true
	}
	for _, w := range []string{"TOKEN", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "SECRET_KEY", "ACCESS_KEY", "PRIVATE_KEY", "CLIENT_SECRET"} {
		if n == w || strings.HasSuffix(n, "_"+w) {
			return true
		}
	}
	return false
}

// minSecretLen is the shortest credential matched inside a longer string;
// a shorter one ("x" in a test, a PIN in a secret set) refuses only a
// value that is the whole of it, so that it does not refuse every value
// holding that letter.
const minSecretLen = redact.MinLen

// secret is one credential the caller holds; lower is its value in lower
// case, for case-insensitive matching.
type secret struct{ name, value, lower string }

// secrets are the credentials expansion refuses; m matches the long ones
// in the forms package internal/redact knows (any run of redact.Run
// characters, any case, '-' for '_', escaped).
type secrets struct {
	list []secret
	m    *redact.Matcher
}

// newSecrets keeps the non-empty values, sorted by name so that messages
// are stable.
func newSecrets(m map[string]string) secrets {
	var ss secrets
	for name, v := range m {
		if v != "" {
			ss.list = append(ss.list, secret{name, v, strings.ToLower(v)})
		}
	}
	sort.Slice(ss.list, func(i, j int) bool { return ss.list[i].name < ss.list[j].name })
	return ss.matching()
}

// matching sets m for the values of list.
func (ss secrets) matching() secrets {
	values := make([]string, len(ss.list))
	for i, c := range ss.list {
		values[i] = c.value
	}
	ss.m = redact.NewMatcher(values...)
	return ss
}

// join is ss and more, matched together.
func (ss secrets) join(more secrets) secrets {
	return secrets{list: append(slices.Clip(ss.list), more.list...)}.matching()
}

// holder returns the name of the credential s holds (in any case), or "".
func (ss secrets) holder(s string) string {
	if len(ss.list) == 0 || s == "" {
		return ""
	}
	lower := strings.ToLower(strings.TrimSpace(s))
	for _, c := range ss.list {
		if lower == strings.TrimSpace(c.lower) {
			return c.name
		}
	}
	if i := ss.m.Holds(s); i >= 0 {
		return ss.list[i].name
	}
	return ""
}

// redact replaces every credential in s with ***. Messages are short, so
// a sliding comparison is cheap, and it keeps offsets right where lower
// case changes the length of a character.
func (ss secrets) redact(s string) string {
	for _, c := range ss.list {
		if len(c.value) < minSecretLen {
			if strings.EqualFold(s, c.value) {
				s = "***"
			}
			continue
		}
		var b strings.Builder
		for i := 0; i < len(s); {
			if i+len(c.value) <= len(s) && strings.EqualFold(s[i:i+len(c.value)], c.value) {
				b.WriteString("***")
				i += len(c.value)
				continue
			}
			b.WriteByte(s[i])
			i++
		}
		s = b.String()
	}
	return s
}

// redactErrors makes sure no credential reaches a message, whatever path
// it took there (a key written in the file, a YAML error quoting text).
func (ss secrets) redactErrors(es Errors) {
	if len(ss.list) == 0 {
		return
	}
	for _, e := range es {
		e.Path, e.Msg, e.Hint, e.Source = ss.redact(e.Path), ss.redact(e.Msg), ss.redact(e.Hint), ss.redact(e.Source)
	}
}
