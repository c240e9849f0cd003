package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// BenchmarkValidatePeakRSS builds the binary, runs `validate` on a
// generated config of 10,000 agents (as many YAML values as the loader's
// 100,000-value cap allows: image and secret set each, scaling for one in
// ten, the rest from defaults) as a separate process, and reports its peak resident memory
// (rusage maxrss) as peak-MB: the whole process, as a user's runner sees
// it. The target is under 100 MB.
func BenchmarkValidatePeakRSS(b *testing.B) {
	const agents = 10000
	dir := b.TempDir()
	bin := filepath.Join(dir, "pipecat-gitops")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "pipecat.yaml")
	if err := os.WriteFile(cfg, bigConfig(agents), 0o644); err != nil {
		b.Fatal(err)
	}
	var peakKB int64
	for b.Loop() {
		cmd := exec.Command(bin, "validate", "-f", cfg)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("validate: %v\n%s", err, out)
		}
		if want := fmt.Sprintf("%d agents valid", agents); !strings.Contains(string(out), want) {
			b.Fatalf("validate said %q, want %q", out, want)
		}
		peakKB = max(peakKB, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) // KiB on Linux
	}
	b.ReportMetric(float64(peakKB)/1024, "peak-MB")
}

// bigConfig is a valid pipecat.yaml of n agents.
func bigConfig(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\ndefaults:\n  region: us-west\n  agentProfile: agent-1x\n  autoScaling:\n    minAgents: 0\n    maxAgents: 10\nagents:\n")
	for i := range n {
		fmt.Fprintf(&b, "  agent-%05d:\n    image: ghcr.io/acme/agent-%05d:1.%d.0\n    secretSet: agent-%05d-secrets\n", i, i, i%7, i)
		if i%10 == 0 {
			fmt.Fprintf(&b, "    autoScaling:\n      minAgents: 1\n      maxAgents: 20\n")
		}
	}
	return []byte(b.String())
}
