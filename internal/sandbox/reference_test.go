package sandbox

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseReference(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name, image           string
		wantName, tag, digest string
		ok                    bool
	}{
		{"name and tag", "acme/bot:1.0", "acme/bot", "1.0", "", true},
		{"one component", "bot:latest", "bot", "latest", "", true},
		{"registry host", "ghcr.io/acme/voice-starter:1.4.0", "ghcr.io/acme/voice-starter", "1.4.0", "", true},
		{"registry port, no tag", "localhost:5000/bot", "localhost:5000/bot", "", "", true},
		{"registry port and tag", "registry:5000/acme/bot:2", "registry:5000/acme/bot", "2", "", true},
		{"IPv6 registry", "[::1]:5000/bot:1", "[::1]:5000/bot", "1", "", true},
		{"digest", "acme/bot@sha256:" + hex64, "acme/bot", "", "sha256:" + hex64, true},
		{"tag and digest", "acme/bot:1@sha256:" + hex64, "acme/bot", "1", "sha256:" + hex64, true},
		{"separators", "a__b/c.d/e-f--g:v_1.2-rc", "a__b/c.d/e-f--g", "v_1.2-rc", "", true},
		{"uppercase registry", "Registry.Example.com/bot:1", "Registry.Example.com/bot", "1", "", true},
		{"128-character tag", "bot:" + strings.Repeat("a", 128), "bot", strings.Repeat("a", 128), "", true},

		{"empty", "", "", "", "", false},
		{"uppercase path", "acme/Bot:1", "", "", "", false},
		{"empty tag", "acme/bot:", "", "", "", false},
		{"129-character tag", "bot:" + strings.Repeat("a", 129), "", "", "", false},
		{"tag starting with a dot", "bot:.1", "", "", "", false},
		{"short digest", "acme/bot@sha256:abc", "", "", "", false},
		{"trailing slash", "acme/:1", "", "", "", false},
		{"double slash", "acme//bot:1", "", "", "", false},
		{"leading separator", "acme/-bot:1", "", "", "", false},
		{"space", "acme/bot :1", "", "", "", false},
		{"newline", "acme/bot:1\n", "", "", "", false},
		{"NUL", "acme/bot:1\x00", "", "", "", false},
		{"ESC", "acme/\x1b[31mbot:1", "", "", "", false},
		{"DEL", "acme/bot:1\x7f", "", "", "", false},
		{"zero-width space", "acme/bot\u200b:1", "", "", "", false},
		{"zero-width non-joiner", "acme/bot:1\u200c", "", "", "", false},
		{"zero-width joiner", "acme/b\u200dot:1", "", "", "", false},
		{"word joiner", "acme\u2060/bot:1", "", "", "", false},
		{"byte order mark", "\ufeffacme/bot:1", "", "", "", false},
		{"right-to-left override", "acme/bot:\u202e1.0", "", "", "", false},
		{"first strong isolate", "acme/\u2068bot:1", "", "", "", false},
		{"non-ASCII letter in the tag", "acme/bot:1.0é", "", "", "", false},
		{"name over 255 characters", strings.Repeat("a/", 128) + "b:1", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, tag, digest, ok := parseReference(tt.image)
			got := []any{name, tag, digest, ok}
			if diff := cmp.Diff([]any{tt.wantName, tt.tag, tt.digest, tt.ok}, got); diff != "" {
				t.Errorf("parseReference(%q) (-want +got):\n%s", tt.image, diff)
			}
		})
	}
}
