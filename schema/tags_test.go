package schema

import "testing"

func TestMutableTag(t *testing.T) {
	tests := []struct{ image, want string }{
		{"acme/bot:latest", "has the mutable tag latest"},
		{"acme/bot", "has no tag, so it is latest"},
		{"registry.example.com:5000/acme/bot", "has no tag, so it is latest"},
		{"acme/bot:main", "has the mutable tag main"},
		{"acme/bot:Stable", "has the mutable tag Stable"},
		{"acme/bot:nightly", "has the mutable tag nightly"},
		{"acme/bot:1.2.3", ""},
		{"registry.example.com:5000/acme/bot:1.0", ""},
		{"acme/bot:latest@sha256:0123", ""},
		{"acme/bot@sha256:0123", ""},
		{"acme/bot:main-2024-01-01", ""},
	}
	for _, tt := range tests {
		if got := MutableTag(tt.image); got != tt.want {
			t.Errorf("MutableTag(%q) = %q, want %q", tt.image, got, tt.want)
		}
	}
	want := "image host:5000/bot:dev has the mutable tag dev: a new image pushed under it is never planned or deployed; pin a version (host:5000/bot:1.2.3) or a digest (host:5000/bot@sha256:…), or redeploy it on purpose with --redeploy bot"
	if got := TagWarning("bot", "host:5000/bot:dev", "has the mutable tag dev"); got != want {
		t.Errorf("TagWarning:\n got %s\nwant %s", got, want)
	}
}
