package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fakeBuildInfo(mainVersion string, settings ...string) func() (*debug.BuildInfo, bool) {
	info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/pipecat-gitops/pipecat-gitops", Version: mainVersion}}
	for i := 0; i+1 < len(settings); i += 2 {
		info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return func() (*debug.BuildInfo, bool) { return info, true }
}

func TestReadVersion(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name    string
		stamped string
		read    func() (*debug.BuildInfo, bool)
		want    buildVersion
		line    string
	}{
		{
			name:    "go install at a tag: the module version",
			stamped: "dev",
			read:    fakeBuildInfo("v1.4.2"),
			want:    buildVersion{Version: "v1.4.2"},
			line:    "v1.4.2",
		},
		{
			name:    "release build: the stamp, and the commit GoReleaser built",
			stamped: "v1.4.2",
			read:    fakeBuildInfo("v1.4.2", "vcs", "git", "vcs.revision", rev, "vcs.modified", "false"),
			want:    buildVersion{Version: "v1.4.2", Revision: rev},
			line:    "v1.4.2 (commit 0123456789ab)",
		},
		{
			name:    "the Action's source build: the ref it stamped wins over (devel)",
			stamped: "main",
			read:    fakeBuildInfo("(devel)"),
			want:    buildVersion{Version: "main"},
			line:    "main",
		},
		{
			name:    "go build in a dirty checkout: pseudo-version, commit and modified",
			stamped: "dev",
			read:    fakeBuildInfo("v1.4.3-0.20260101120000-0123456789ab+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			want:    buildVersion{Version: "v1.4.3-0.20260101120000-0123456789ab+dirty", Revision: rev, Modified: true},
			line:    "v1.4.3-0.20260101120000-0123456789ab+dirty (commit 0123456789ab, modified)",
		},
		{
			name:    "go build without VCS information: dev",
			stamped: "dev",
			read:    fakeBuildInfo("(devel)"),
			want:    buildVersion{Version: "dev"},
			line:    "dev",
		},
		{
			name:    "an empty stamp counts as none",
			stamped: "",
			read:    fakeBuildInfo("v2.0.0"),
			want:    buildVersion{Version: "v2.0.0"},
			line:    "v2.0.0",
		},
		{
			name:    "no build info at all",
			stamped: "dev",
			read:    func() (*debug.BuildInfo, bool) { return nil, false },
			want:    buildVersion{Version: "dev"},
			line:    "dev",
		},
		{
			name:    "a short revision is shown whole",
			stamped: "v1.0.0",
			read:    fakeBuildInfo("", "vcs.revision", "abc123"),
			want:    buildVersion{Version: "v1.0.0", Revision: "abc123"},
			line:    "v1.0.0 (commit abc123)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readVersion(tt.stamped, tt.read)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("readVersion (-want +got):\n%s", diff)
			}
			if got.String() != tt.line {
				t.Errorf("String() = %q, want %q", got.String(), tt.line)
			}
		})
	}
}

// TestVersionCommandReadsBuildInfo runs the command itself with the build
// info of a `go install ...@v1.4.2` binary (no stamp).
func TestVersionCommandReadsBuildInfo(t *testing.T) {
	savedRead, savedVersion := readBuildInfo, version
	t.Cleanup(func() { readBuildInfo, version = savedRead, savedVersion })
	readBuildInfo = fakeBuildInfo("v1.4.2")
	version = "dev"

	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, lookup: func(string) (string, bool) { return "", false }}
	if code := dispatch(context.Background(), e, []string{"--version"}); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	if diff := cmp.Diff("pipecat-gitops v1.4.2\n", stdout.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}
