package main

import (
	"context"
	"fmt"
)

func cmdVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "pipecat-gitops %s\n", version)
	return err
}

var versionDoc = commandDoc{
	summary: "Print the version.",
	exits: []exitDoc{
		exitSuccess,
		{1, "a flag or argument is wrong"},
	},
}
