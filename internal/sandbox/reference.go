package sandbox

import (
	"regexp"
	"sync"
)

// referencePattern is the image reference grammar of the OCI distribution
// reference package (github.com/distribution/reference, "ReferenceRegexp"),
// which registries and the API's image checks follow: an optional
// registry host and port, lowercase path components, then an optional tag
// and digest. Being ASCII-only, it refuses control characters (NUL, ESC),
// zero-width and bidi characters, spaces and anything else invisible.
// Compiled on first use: every start of the binary would pay for it.
var referencePattern = sync.OnceValue(func() *regexp.Regexp {
	const (
		alphanumeric    = `[a-z0-9]+`
		separator       = `(?:[._]|__|[-]+)`
		pathComponent   = alphanumeric + `(?:` + separator + alphanumeric + `)*`
		domainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
		ipv6            = `\[(?:[a-fA-F0-9:]+)\]`
		host            = `(?:` + domainComponent + `(?:\.` + domainComponent + `)*|` + ipv6 + `)`
		domain          = host + `(?::[0-9]+)?`
		name            = `(?:` + domain + `/)?` + pathComponent + `(?:/` + pathComponent + `)*`
		tag             = `[\w][\w.-]{0,127}`
		digest          = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
	)
	return regexp.MustCompile(`^(` + name + `)(?::(` + tag + `))?(?:@(` + digest + `))?$`)
})

// nameTotalLengthMax is the reference package's limit on the name part.
const nameTotalLengthMax = 255

// parseReference splits a valid image reference into its name, tag and
// digest; ok is false when image is not one.
func parseReference(image string) (name, tag, digest string, ok bool) {
	m := referencePattern().FindStringSubmatch(image)
	if m == nil || len(m[1]) > nameTotalLengthMax {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}
