package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func cmdValidate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "validate", "validate [-f FILE]")
	file := fs.StringP("file", "f", "pipecat.yaml", "config file to check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if err := configArgument("validate", fs.Arg(0)); err != nil {
			return err
		}
		return withHint(fmt.Errorf("validate: unexpected argument %q", fs.Arg(0)), "use -f FILE to name the config file")
	}
	cfg, err := e.loadConfig(ctx, *file)
	if err == nil {
		// Build contexts are part of the config: a missing one is an
		// error at its line here too.
		_, err = e.readSources(ctx, cfg, "", packScan)
	}
	if err != nil {
		err = loadHint(err)
		e.reportFailure("validate", e.repoPath(*file), "", err)
		return err
	}
	if _, err := fmt.Fprintf(e.stdout, "%s: %s valid\n", report.TerminalText(cfg.File), plural(len(cfg.Agents), "agent")); err != nil {
		return err
	}
	for _, a := range cfg.Agents {
		if a.Spec.Image == nil {
			continue
		}
		if why := schema.MutableTag(*a.Spec.Image); why != "" {
			at, msg := a.FieldPos["image"], schema.TagWarning(a.Name, *a.Spec.Image, why)
			fmt.Fprintf(e.stderr, "warning: %s:%d:%d: agents.%s.image: %s\n", report.TerminalText(cfg.File), at.Line, at.Col,
				a.Name, report.TerminalText(msg))
			if e.gh.enabled {
				e.annotate(github.Annotation{Level: "warning", File: e.repoPath(*file), Line: at.Line, Col: at.Col,
					Title: "pipecat.yaml", Message: "agents." + a.Name + ".image: " + msg})
			}
		}
	}
	e.actionsOutputs(report.ValidationMarkdown(e.repoPath(*file), len(cfg.Agents)), nil)
	return nil
}

// loadHint adds a hint to a config file that cannot be found.
func loadHint(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(err, "use -f FILE to name the config file")
	}
	return err
}

var validateDoc = commandDoc{
	summary: "Check pipecat.yaml against its schema and rules; no API calls.",
	about:   "Every error is printed at once, as FILE:LINE:COL: PATH: MESSAGE, with a hint where one helps. The build contexts of agents built from a directory are packed too, so a missing context or Dockerfile is one of those errors.",
	env: []envDoc{
		envConfig,
		{"GITHUB_ACTIONS", "\"true\": also write each error as an annotation on the file, and the result to the job summary ($GITHUB_STEP_SUMMARY)"},
		{"GITHUB_WORKSPACE", "the repository root annotation paths are relative to"},
	},
	exits: []exitDoc{
		{0, "the config is valid"},
		{1, "the config is invalid or cannot be read, or a flag or argument is wrong"},
	},
}

// configArgument returns the error for a config file given as an argument
// to a command that takes none (plan, validate) or a saved plan (apply),
// or nil when path is not a config file.
func configArgument(cmd, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, schema.MaxFileSize+1))
	if err != nil || !schema.LooksLikeConfig(data) {
		return nil
	}
	return fmt.Errorf("%s %s: this is a config file; did you mean \"%s -f %s\"?", cmd, path, cmd, shellWord(path))
}

// shellWord quotes s for a shell when it needs quoting.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+:@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
