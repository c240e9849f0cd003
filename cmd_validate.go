package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pipecat-gitops/pipecat-gitops/report"
)

func cmdValidate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "validate", "validate [-f FILE]")
	file := fs.StringP("file", "f", "pipecat.yaml", "config file to check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return withHint(fmt.Errorf("validate: unexpected argument %q", fs.Arg(0)), "use -f FILE to name the config file")
	}
	cfg, err := e.loadConfig(ctx, *file)
	if err != nil {
		return loadHint(err)
	}
	noun := "agents"
	if len(cfg.Agents) == 1 {
		noun = "agent"
	}
	if _, err := fmt.Fprintf(e.stdout, "%s: %d %s valid\n", cfg.File, len(cfg.Agents), noun); err != nil {
		return err
	}
	e.actionsOutputs(report.ValidationMarkdown(e.repoPath(*file), len(cfg.Agents), nil), nil)
	return nil
}

// loadHint adds a hint to a config file that cannot be found.
func loadHint(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(err, "use -f FILE to name the config file")
	}
	return err
}
