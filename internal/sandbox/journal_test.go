package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// agentNames lists the agents through the API.
func agentNames(t *testing.T, s *Server) []string {
	t.Helper()
	var out []string
	for _, a := range decode[cloud.ListServicesResponse](t, mustCall(t, s, "GET", "/v1/agents", "", 200)).Services {
		out = append(out, a.Name)
	}
	return out
}

func image(t *testing.T, s *Server, name string) string {
	t.Helper()
	return decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/"+name, "", 200)).Deployment.Manifest.Spec.Image
}

// TestJournalCrashRecovery: a sandbox killed without Close (kill -9) keeps
// every answered change, whatever a write cut short left at the end of the
// journal; a torn record is ignored whole, never half applied.
func TestJournalCrashRecovery(t *testing.T) {
	torn := []struct {
		name string
		tail func(line string) string // what the crash left after the last good line
	}{
		{"nothing", func(string) string { return "" }},
		{"half a line", func(l string) string { return l[:len(l)/2] }},
		{"a line without its newline", func(l string) string { return strings.TrimSuffix(l, "\n") }},
		{"zeros", func(string) string { return "\x00\x00\x00\x00" }},
		{"a complete line of garbage", func(string) string { return "{\"op\":\n" }},
	}
	for _, tt := range torn {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			s, _ := newTestServer(t, Options{StatePath: path})
			mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
			mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"gone","image":"a/b:1"}`, 200)
			mustCall(t, s, "POST", "/v1/agents/bot", `{"image":"a/b:2"}`, 200)
			mustCall(t, s, "DELETE", "/v1/agents/gone", "", 200)
			mustCall(t, s, "PUT", "/v1/secrets/bot-secrets", `{"secrets":[{"secretKey":"K","secretValue":"v"}]}`, 202)

			// The unacknowledged change the crash interrupted: bot moves
			// to image a/b:3 and loses its deployment.
			rec := record{Op: "put", Kind: "agent", Name: "bot", Value: json.RawMessage(`{"id":"x","region":"us-west","spec":{"image":"a/b:3"}}`)}
			f, err := os.OpenFile(path+journalSuffix, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(tt.tail(string(mustMarshal(rec)) + "\n"))
			f.Close()

			r := reopen(t, path)
			if diff := cmp.Diff([]string{"bot"}, agentNames(t, r)); diff != "" {
				t.Errorf("agents after the crash (-want +got):\n%s", diff)
			}
			if got := image(t, r, "bot"); got != "a/b:2" {
				t.Errorf("bot's image after the crash: %q, want a/b:2", got)
			}
			mustCall(t, r, "GET", "/v1/secrets/bot-secrets", "", 200)

			// The restart folded the journal into the state file and
			// dropped the torn tail, so new lines follow good ones.
			data, _ := os.ReadFile(path)
			if !strings.Contains(string(data), `"image": "a/b:2"`) {
				t.Errorf("state file after the restart:\n%s", data)
			}
			if j, _ := os.ReadFile(path + journalSuffix); len(j) != 0 {
				t.Errorf("journal after the restart: %q", j)
			}
			mustCall(t, r, "POST", "/v1/agents/bot", `{"image":"a/b:4"}`, 200)
			if got := image(t, reopen(t, path), "bot"); got != "a/b:4" {
				t.Errorf("bot's image after a second crash: %q", got)
			}
		})
	}
}

// TestJournalCorrupt: a bad line that is not the last is corruption, not
// a torn write: New refuses to start and changes no file.
func TestJournalCorrupt(t *testing.T) {
	tests := []struct {
		name, journal, want string
	}{
		{"garbage then a good line", "garbage\n" + `{"op":"delete","kind":"agent","name":"bot"}` + "\n", "line 1: invalid character"},
		{"unknown kind", `{"op":"delete","kind":"widget","name":"x"}` + "\n{}\n", `line 1: unknown kind "widget"`},
		{"unknown op", `{"op":"merge","kind":"agent","name":"x"}` + "\n{}\n", `line 1: unknown op "merge"`},
		{"put without a value", `{"op":"put","kind":"agent","name":"x"}` + "\n{}\n", "line 1: malformed record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			os.WriteFile(path, []byte(`{"version":1}`), 0o600)
			os.WriteFile(path+journalSuffix, []byte(tt.journal), 0o600)
			_, err := New(Options{StatePath: path})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path+journalSuffix) {
				t.Errorf("got %v, want an error naming %s and containing %q", err, path+journalSuffix, tt.want)
			}
			if data, _ := os.ReadFile(path + journalSuffix); string(data) != tt.journal {
				t.Errorf("the journal was changed to %q", data)
			}
		})
	}
	t.Run("journal without state file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.json")
		os.WriteFile(path+journalSuffix, nil, 0o600)
		if _, err := New(Options{StatePath: path}); err == nil || !strings.Contains(err.Error(), "missing, but its journal") {
			t.Errorf("got %v", err)
		}
	})
}

// TestJournalInterruptedCompaction: a crash between switching journals and
// writing the snapshot leaves the old snapshot and two journals, which
// replay in order; a crash after the snapshot but before the old journal
// is removed replays it again, harmlessly.
func TestJournalInterruptedCompaction(t *testing.T) {
	agent := func(img string) json.RawMessage {
		return mustMarshal(&Agent{ID: id(1), Region: "us-west", Spec: AgentSpec{Image: img, NodeType: "arm", AgentProfile: "agent-1x", MaxAgents: 1},
			Deployment: Deployment{ID: id(2), CreatedAt: t0, ReadyAt: t0}, CreatedAt: t0, UpdatedAt: t0})
	}
	line := func(r record) string { return string(mustMarshal(r)) + "\n" }
	old := line(record{Op: "put", Kind: "agent", Name: "bot-a", Value: agent("a/a:1")}) +
		line(record{Op: "put", Kind: "agent", Name: "bot-b", Value: agent("a/b:1")}) +
		line(record{Op: "put", Kind: "agent", Name: "bot-a", Value: agent("a/a:2")})
	cur := line(record{Op: "delete", Kind: "agent", Name: "bot-b"}) +
		line(record{Op: "put", Kind: "agent", Name: "bot-c", Value: agent("a/c:1")})
	tests := []struct {
		name, snapshot string
	}{
		{"before the snapshot", `{"version":1}`},
		{"after the snapshot", `{"version":1,"agents":{"bot-a":` + string(agent("a/a:2")) + `,"bot-b":` + string(agent("a/b:1")) + `}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			os.WriteFile(path, []byte(tt.snapshot), 0o600)
			os.WriteFile(path+oldJournalSuffix, []byte(old), 0o600)
			os.WriteFile(path+journalSuffix, []byte(cur), 0o600)
			s := reopen(t, path)
			if diff := cmp.Diff([]string{"bot-a", "bot-c"}, agentNames(t, s)); diff != "" {
				t.Errorf("agents (-want +got):\n%s", diff)
			}
			if got := image(t, s, "bot-a"); got != "a/a:2" {
				t.Errorf("a's image %q", got)
			}
			if _, err := os.Stat(path + oldJournalSuffix); err == nil {
				t.Error("the old journal is still there after the restart")
			}
		})
	}
}

// TestJournalCompaction: past its threshold the journal is folded into the
// snapshot in the background; the state is the same before and after, and
// after a restart.
func TestJournalCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := newTestServer(t, Options{StatePath: path})
	s.store.minCompact = 2000
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				name := fmt.Sprintf("bot-%d-%d", w, i)
				mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"`+name+`","image":"a/b:1"}`, 200)
				mustCall(t, s, "POST", "/v1/agents/"+name, `{"image":"a/b:2"}`, 200)
				if i%3 == 0 {
					mustCall(t, s, "DELETE", "/v1/agents/"+name, "", 200)
				}
			}
		}()
	}
	wg.Wait()
	s.store.wg.Wait()
	before := mustCall(t, s, "GET", "/v1/agents", "", 200)
	// 320 creates and updates of about 600 bytes each, and deletes:
	// some 200 KB written, many times the threshold.
	if s.store.compactions == 0 {
		t.Error("the journal was never compacted")
	}
	if _, err := os.Stat(path + oldJournalSuffix); err == nil {
		t.Error("old journal left after compaction")
	}
	if after := mustCall(t, reopen(t, path), "GET", "/v1/agents", "", 200); after != before {
		t.Errorf("state differs after a restart:\nbefore %s\nafter  %s", before, after)
	}
}

// blockingFile is a journal file whose writes wait for release, counting
// the writes and the lines in each.
type blockingFile struct {
	journalFile
	writing chan struct{}
	release chan struct{}
	mu      sync.Mutex
	lines   []int
}

func (f *blockingFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	f.lines = append(f.lines, bytes.Count(p, []byte("\n")))
	f.mu.Unlock()
	f.writing <- struct{}{}
	<-f.release
	return f.journalFile.Write(p)
}

// TestJournalGroupCommit: no answer, to the writer or to a reader of the
// change, comes before the change is written and synced; and changes made
// while a write is under way share the next one.
func TestJournalGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := newTestServer(t, Options{StatePath: path})
	f := &blockingFile{journalFile: s.store.f, writing: make(chan struct{}, 16), release: make(chan struct{})}
	s.store.f = f

	answered := make(chan int, 32)
	go func() {
		code, _ := call(t, s, "POST", "/v1/agents", `{"serviceName":"first","image":"a/b:1"}`)
		answered <- code
	}()
	<-f.writing // the first change is being written
	go func() {
		code, _ := call(t, s, "GET", "/v1/agents/first", "")
		answered <- code
	}()
	const more = 10
	for i := range more {
		go func() {
			code, _ := call(t, s, "POST", "/v1/agents", fmt.Sprintf(`{"serviceName":"bot-%d","image":"a/b:1"}`, i))
			answered <- code
		}()
	}
	// Wait until all ten are queued behind the write under way.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.store.mu.Lock()
		n := len(s.store.pending)
		s.store.mu.Unlock()
		if n == more {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d changes queued, want %d", n, more)
		}
	}
	select {
	case code := <-answered:
		t.Fatalf("answered %d before the change was written", code)
	default:
	}
	close(f.release)
	for range more + 2 {
		if code := <-answered; code != 200 {
			t.Errorf("status %d", code)
		}
	}
	if diff := cmp.Diff([]int{1, more}, f.lines); diff != "" {
		t.Errorf("lines per write (-want +got):\n%s", diff)
	}
}

// TestKill9Helper is the sandbox process TestKill9 kills; it does nothing
// on its own.
func TestKill9Helper(t *testing.T) {
	path := os.Getenv("SANDBOX_KILL9_STATE")
	if path == "" {
		t.Skip("the process TestKill9 starts and kills")
	}
	s, err := New(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(ln.Addr())
	http.Serve(ln, s)
}

// TestKill9: a sandbox process killed with SIGKILL while clients are
// creating agents has, after a restart, every agent whose create was
// answered.
func TestKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Helper$")
	cmd.Env = append(os.Environ(), "SANDBOX_KILL9_STATE="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + strings.TrimSpace(addr)

	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	const clients, perClient, killAfter = 8, 100, 200
	killed := make(chan struct{})
	var once sync.Once
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				name := fmt.Sprintf("bot-%d-%d", c, i)
				req, _ := http.NewRequest("POST", base+"/v1/agents", strings.NewReader(`{"serviceName":"`+name+`","image":"a/b:1"}`))
				req.Header.Set("Authorization", "Bearer k")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // killed
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("create %s: %d", name, resp.StatusCode)
					return
				}
				mu.Lock()
				acked = append(acked, name)
				if len(acked) == killAfter {
					once.Do(func() {
						cmd.Process.Kill() // SIGKILL, with creates in flight
						close(killed)
					})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	<-killed
	cmd.Wait()

	have := map[string]bool{}
	for _, name := range agentNames(t, reopen(t, path)) {
		have[name] = true
	}
	for _, name := range acked {
		if !have[name] {
			t.Errorf("agent %s was acknowledged before the kill, and lost", name)
		}
	}
	if len(acked) < killAfter {
		t.Errorf("%d creates acknowledged, want at least %d", len(acked), killAfter)
	}
}
