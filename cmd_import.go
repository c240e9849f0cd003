package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pipecat-gitops/pipecat-gitops/adopt"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// importOptions are the flags of import.
type importOptions struct {
	out     string
	force   bool
	fromPCC bool
	// args are agent names or globs, or with fromPCC pcc-deploy.toml files.
	args []string
	api  apiFlags
}

const importUsage = "import [NAME|GLOB...] [-o FILE] [--force] [--timeout DURATION]\nimport --from-pcc-deploy FILE... [-o FILE] [--force]"

func cmdImport(ctx context.Context, e *env, args []string) error {
	var o importOptions
	fs := newFlagSet(e, "import", importUsage)
	fs.StringVarP(&o.out, "out", "o", "", "write the config to `FILE` instead of stdout")
	fs.BoolVar(&o.force, "force", false, "overwrite the -o file if it exists")
	fs.BoolVar(&o.fromPCC, "from-pcc-deploy", false, "convert the official CLI's pcc-deploy.toml files given as arguments instead of reading the live organization")
	o.api.register(fs)
	o.api.registerTimeout(fs, defaultTimeout, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.args = fs.Args()
	if o.fromPCC {
		if len(o.args) == 0 {
			return withHint(errors.New("import: --from-pcc-deploy needs one or more pcc-deploy.toml files"),
				"pipecat-gitops import --from-pcc-deploy bots/*/pcc-deploy.toml -o pipecat.yaml")
		}
		if fs.Changed("api-url") || fs.Changed("sandbox") {
			return errors.New("import: --from-pcc-deploy reads files only; --api-url and --sandbox do not apply")
		}
	}
	if err := o.api.check(); err != nil {
		return err
	}
	if o.out != "" && !o.force {
		// Checked before any request; the write itself refuses too.
		if _, err := os.Lstat(o.out); err == nil {
			return withHint(fmt.Errorf("import: %s exists; refusing to overwrite it", o.out), "pass --force to overwrite it, or name another file with -o")
		}
	}
	ctx, cancel := o.api.withTimeout(ctx)
	defer cancel()
	return timedOut(ctx, runImport(ctx, e, o))
}

func runImport(ctx context.Context, e *env, o importOptions) error {
	var (
		c   *adopt.Config
		err error
	)
	if o.fromPCC {
		c, err = convertPCCFiles(o.args, o.out)
	} else {
		c, err = importLive(ctx, e, o)
	}
	if err != nil {
		return err
	}
	data, err := adopt.Render(c)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(e.stderr, "pipecat-gitops: warning: %s\n", report.TerminalText(w))
	}
	if o.out == "" {
		_, err = e.out.WriteData(data)
		return err
	}
	if err := e.writeDoc(o.out, data, !o.force, "replace it by hand before using the file"); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(e.stderr, "Wrote %s to %s; check it with: %s\n", c.Count(), report.TerminalText(o.out),
		report.TerminalText("pipecat-gitops plan -f "+shellWord(o.out)+o.api.given()))
	return nil
}

// importLive reads the organization's agents (all, or those o.args name).
func importLive(ctx context.Context, e *env, o importOptions) (*adopt.Config, error) {
	progress := e.progress()
	defer progress.Stop()
	client, closeAPI, err := e.connect(&o.api, progress)
	if err != nil {
		return nil, err
	}
	defer closeAPI()
	details, err := adopt.Read(ctx, client, o.args, o.api.parallelism, progress.Refresh)
	progress.End()
	if err != nil {
		return nil, apiHint(o.api.hostHint(e, fmt.Errorf("import: %w", err)))
	}
	if len(details) == 0 {
		fmt.Fprintf(e.stderr, "pipecat-gitops: warning: the organization has no agents\n")
	}
	return adopt.FromLive(details)
}

// convertPCCFiles reads and converts pcc-deploy.toml files for a config
// written to out ("" for stdout, read from the current directory).
func convertPCCFiles(paths []string, out string) (*adopt.Config, error) {
	configDir, err := filepath.Abs(filepath.Dir(cmp.Or(out, "pipecat.yaml")))
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	files := make([]adopt.File, len(paths))
	for i, p := range paths {
		data, err := readLimited(p, schema.MaxFileSize)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		dir, err := filepath.Abs(filepath.Dir(p))
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		files[i] = adopt.File{Name: p, Data: data, Dir: dir}
	}
	return adopt.FromPCCDeploy(files, configDir)
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB; refusing to read it", path, limit>>20)
	}
	return data, nil
}

// writeExcl writes data to path only if it does not exist (O_EXCL: no
// check-then-write race).
func writeExcl(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

var importDoc = commandDoc{
	summary: "Write a pipecat.yaml from the live agents or pcc-deploy.toml files.",
	about: "From the organization: every agent, or those matching the NAME or GLOB arguments (\"support-*\"), with every field the API returns, so that 'pipecat-gitops plan' on the result prints \"No changes.\" Values most agents share go to defaults. An agent deployed from a build is written commented out: the API returns neither its buildId nor its image.\n\n" +
		"With --from-pcc-deploy: one agent per file, with only the keys the file sets; a file without image or build_id becomes a build of its [build] context_dir, relative to the -o file; an unknown key is an error at FILE:LINE:COL.",
	env: envAPI,
	exits: []exitDoc{
		{0, "the config was written"},
		{1, "any error: a pattern that matches no agent, an invalid or unknown pcc-deploy.toml key, an API failure, an -o file that exists without --force, a wrong flag"},
	},
}
