package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "pipecat-gitops %s\n", readVersion(version, readBuildInfo))
	return err
}

// buildVersion is what the binary knows of its own origin.
type buildVersion struct {
	// Version is the -ldflags stamp (release builds, the Action's source
	// build), else the module version (go install ...@vX.Y.Z, or the
	// pseudo-version go build derives from a checkout), else "dev".
	Version string
	// Revision and Modified come from the VCS stamp of a build in a git
	// checkout (vcs.revision, vcs.modified).
	Revision string
	Modified bool
}

// readVersion combines the -ldflags stamp with the build info. The stamp
// wins: it is set on purpose (a release tag, the Action's ref), while the
// module version of a checkout build is only "(devel)" or a pseudo-version.
func readVersion(stamped string, read func() (*debug.BuildInfo, bool)) buildVersion {
	v := buildVersion{Version: stamped}
	info, ok := read()
	if !ok {
		info = &debug.BuildInfo{}
	}
	if v.Version == "" || v.Version == "dev" {
		v.Version = "dev"
		if mv := info.Main.Version; mv != "" && mv != "(devel)" {
			v.Version = mv
		}
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the version line after "pipecat-gitops ": the version, then the
// commit (12 digits, as Go's pseudo-versions show it) when known.
func (v buildVersion) String() string {
	if v.Revision == "" {
		return v.Version
	}
	rev := v.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if v.Modified {
		return fmt.Sprintf("%s (commit %s, modified)", v.Version, rev)
	}
	return fmt.Sprintf("%s (commit %s)", v.Version, rev)
}

var versionDoc = commandDoc{
	summary: "Print the version.",
	exits: []exitDoc{
		exitSuccess,
		{1, "a flag or argument is wrong"},
	},
}
