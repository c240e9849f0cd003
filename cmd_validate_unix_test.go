//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestInterruptWhileLoading sends SIGINT to the real binary while it
// reads its config from a FIFO whose writer never finishes: it must exit
// 1, saying the load was cancelled, instead of waiting for the rest of
// the file. Nothing is timed: the order of events is fixed by the FIFO.
func TestInterruptWhileLoading(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipecat.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A watchdog, not a measurement: without it a tool that ignores the
	// signal would hang the test until go test's own timeout.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "validate", "-f", fifo)
	cmd.Args[0] = "pipecat-gitops" // TestMain runs the tool under this name
	cmd.Dir = dir
	// GOCOVERDIR: under go test -cover the tool is built for coverage and
	// would warn on stderr without a place to write it.
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "GOCOVERDIR=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Opening the FIFO for writing returns once the tool has opened it for
	// reading, which it does after installing its signal handler.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString("version: 1\nagents:\n"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want exit status 1 (watchdog expired: %v)\nstderr:\n%s", err, ctx.Err() != nil, stderr.String())
	}
	if got, want := stderr.String(), "pipecat-gitops: error: load config "+fifo+": context canceled\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}
