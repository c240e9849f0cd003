package main

import (
	"context"
	"fmt"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func cmdSchema(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "schema", "schema")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("schema: unexpected argument %q", fs.Arg(0))
	}
	// A document: a short credential must not change a word of it.
	_, err := e.out.WriteData(schema.JSONSchema())
	return err
}

var schemaDoc = commandDoc{
	summary: "Print the JSON Schema of pipecat.yaml, for editors and other tools.",
	exits: []exitDoc{
		exitSuccess,
		{1, "a flag or argument is wrong"},
	},
}
