package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/report"
)

const sandboxUsage = "sandbox [--listen ADDR] [--state FILE] [--latency D] [--fault-rate F] [--rate-limit-rate F] [--retry-after D] [--drop-rate F] [--ready-delay D] [--build-delay D] [--default-region CODE] [--seed N]"

func cmdSandbox(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "sandbox", sandboxUsage)
	listen := fs.String("listen", "127.0.0.1:8787", "address to listen on")
	var opts sandbox.Options
	fs.StringVar(&opts.StatePath, "state", "", "keep the state in this JSON file (default: in memory)")
	fs.DurationVar(&opts.ReadyDelay, "ready-delay", 0, "time until a deployment or secret set becomes ready")
	fs.DurationVar(&opts.BuildDelay, "build-delay", 0, "time a cloud build takes (pending, building, then success or failed)")
	fs.DurationVar(&opts.Latency, "latency", 0, "delay added to every request")
	fs.Float64Var(&opts.FaultRate, "fault-rate", 0, "probability of a 500 INTERNAL_SERVER_ERROR")
	fs.Float64Var(&opts.RateLimitRate, "rate-limit-rate", 0, "probability of a 429 with Retry-After")
	fs.DurationVar(&opts.RetryAfter, "retry-after", time.Second, "Retry-After of those 429s (whole seconds)")
	fs.Float64Var(&opts.DropRate, "drop-rate", 0, "probability that a change is committed and the connection then closed without a response")
	fs.StringVar(&opts.DefaultRegion, "default-region", "", "the organization's defaultRegion property (GET /v1/properties), where what names no region goes (default: the state file's, us-west for a new one)")
	fs.Int64Var(&opts.Seed, "seed", 1, "seed of the fault decisions (the same seed replays the same faults)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return withHint(fmt.Errorf("sandbox: unexpected argument %q", fs.Arg(0)), "run 'pipecat-gitops sandbox --help' for usage")
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"--fault-rate", opts.FaultRate}, {"--rate-limit-rate", opts.RateLimitRate}, {"--drop-rate", opts.DropRate}} {
		if r.v < 0 || r.v > 1 {
			return fmt.Errorf("sandbox: %s %v: must be between 0 and 1", r.flag, r.v)
		}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--ready-delay", opts.ReadyDelay}, {"--build-delay", opts.BuildDelay}, {"--latency", opts.Latency}, {"--retry-after", opts.RetryAfter}} {
		if d.v < 0 {
			return fmt.Errorf("sandbox: %s %v: must not be negative", d.flag, d.v)
		}
	}
	opts.SecretSets = sandbox.ExampleSecretSets
	opts.Logf = func(format string, args ...any) {
		// Request paths come from the network.
		fmt.Fprintf(e.stderr, "sandbox: %s\n", report.TerminalLine(fmt.Sprintf(format, args...)))
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	fmt.Fprintf(e.stderr, "sandbox: listening on http://%s\n", addr)
	if !addr.IP.IsLoopback() {
		// Allowed (a container or a VM may need it), but said loudly:
		// the sandbox accepts any key.
		fmt.Fprintf(e.stderr, "sandbox: warning: %s is not a loopback address; anyone who can reach it can use the sandbox, which accepts any API key\n", addr.IP)
	}
	if opts.StatePath != "" {
		fmt.Fprintf(e.stderr, "sandbox: state in %s\n", report.TerminalText(opts.StatePath))
	} else {
		fmt.Fprintf(e.stderr, "sandbox: state in memory (use --state FILE to keep it)\n")
	}

	srv := sb.HTTPServer()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("sandbox: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	// Fold the journal into the state file; skipping it loses nothing.
	if cerr := sb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sandbox: stop: %w", err)
	}
	fmt.Fprintf(e.stderr, "sandbox: stopped\n")
	return nil
}

var sandboxDoc = commandDoc{
	summary: "Serve the built-in Pipecat Cloud API emulator on a local port.",
	about:   "Try plans and workflows without an account: point the tool at it with PIPECAT_API_URL=http://ADDR (any API key works). It runs until interrupted.",
	exits: []exitDoc{
		{0, "stopped by an interrupt"},
		{1, "a wrong flag, an unreadable state file, or the address cannot be listened on"},
	},
}
