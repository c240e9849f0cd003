//go:build linux

package pack_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
)

// maxRSS is the peak memory packing and uploading any accepted context
// may cost.
const maxRSS = 200 << 20

// TestPackMemory packs a context of random data (incompressible, the
// worst case for gzip's output) in a child process (this test binary,
// running TestPackChild), spools it, uploads it to a sandbox that stores
// uploads on disk, and checks the child's peak resident memory as the
// kernel measures it (VmHWM, read by the child from /proc/self/status, as
// schema's TestHostileFilesMemory does). The 300 MB case runs only with
// PACK_MEMORY=1, which .ci/run sets; a 5 MB one always does (a smoke
// test of the child).
func TestPackMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies memory use")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		mb    int
		heavy bool
	}{{5, false}, {300, true}} {
		t.Run(fmt.Sprintf("%d MB", tt.mb), func(t *testing.T) {
			if tt.heavy && os.Getenv("PACK_MEMORY") == "" {
				t.Skip("heavy: set PACK_MEMORY=1 (as .ci/run does)")
			}
			dir := t.TempDir()
			writeRandom(t, dir, tt.mb)
			cmd := exec.Command(exe, "-test.run=^TestPackChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "PACK_CHILD_DIR="+dir, "TMPDIR="+t.TempDir())
			start := time.Now()
			out, err := cmd.CombinedOutput()
			wall := time.Since(start)
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var rss int
			for _, line := range strings.Split(string(out), "\n") {
				if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")))
					if err != nil {
						t.Fatalf("VmHWM %q: %v", kb, err)
					}
					rss = n << 10
				}
				if strings.HasPrefix(line, "packed ") {
					t.Log(line)
				}
			}
			if rss == 0 {
				t.Fatalf("the child reported no VmHWM:\n%s", out)
			}
			ps := cmd.ProcessState
			t.Logf("%d MB context: peak RSS %d MB, CPU %v, wall %v (child: pack, spool, upload to the sandbox)",
				tt.mb, rss>>20, (ps.UserTime() + ps.SystemTime()).Round(time.Millisecond), wall.Round(time.Millisecond))
			if rss > maxRSS {
				t.Errorf("peak RSS %d MB, want at most %d MB", rss>>20, maxRSS>>20)
			}
		})
	}
}

// writeRandom fills dir with a Dockerfile and mb MB of random data in 10
// MB files.
func writeRandom(t *testing.T, dir string, mb int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	for i := 0; i < mb; i += 10 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("data/%03d.bin", i/10)))
		if err != nil {
			t.Fatal(err)
		}
		for range min(10, mb-i) {
			rng.Read(buf)
			if _, err := f.Write(buf); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPackChild is the child of TestPackMemory: it spools the context in
// PACK_CHILD_DIR, uploads it to a sandbox as apply does, checks the
// sandbox got the bytes hashed, and prints its peak resident memory.
func TestPackChild(t *testing.T) {
	dir := os.Getenv("PACK_CHILD_DIR")
	if dir == "" {
		t.Skip("runs as the child process of TestPackMemory")
	}
	ctx := context.Background()
	a, err := pack.Spool(ctx, dir, "", pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Remove()
	sb, err := sandbox.New(sandbox.Options{StatePath: filepath.Join(t.TempDir(), "state.json")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	c, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: "pk_test_memory_0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.UploadURL(ctx, "us-west")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, u, cloud.UploadBody{Open: a.Open, Size: a.Compressed}); err != nil {
		t.Fatal(err)
	}
	var got string
	sb.Mutate(func(st *sandbox.State) error {
		got = st.Uploads[u.UploadID].ContextHash
		return nil
	})
	if got != a.ContextHash {
		t.Fatalf("the sandbox stored hash %q, packed %s", got, a.ContextHash)
	}
	fmt.Printf("packed %d files, %d bytes, %d gzipped, hash %s, uploaded\n", len(a.Files), a.Size, a.Compressed, a.ContextHash)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}
