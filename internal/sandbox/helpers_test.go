package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is the fake clock's start.
var t0 = time.Date(2025, 4, 19, 1, 20, 27, 564_000_000, time.UTC)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestServer returns a sandbox with a fake clock and predictable IDs:
// 00000000-0000-4000-8000-000000000001, ...02, and so on.
func newTestServer(t *testing.T, opts Options) (*Server, *clock) {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var mu sync.Mutex
	n := 0
	s.newID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
	return s, c
}

func id(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// call sends one authenticated request straight to the handler.
func call(t *testing.T, s http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := serve(s, method, path, body, "Bearer test-key")
	return rec.Code, rec.Body.String()
}

func serve(s http.Handler, method, path, body, auth string) *httptest.ResponseRecorder {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// mustCall is call that fails the test unless the status is want.
func mustCall(t *testing.T, s http.Handler, method, path, body string, want int) string {
	t.Helper()
	code, got := call(t, s, method, path, body)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, want, got)
	}
	return got
}

// decode unmarshals a response body into v.
func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// errBody is the API's error body, fields in the spec's order.
func errBody(msg, code string) string {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}{msg, code})
	return string(b)
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update. JSON is indented for readable diffs.
func golden(t *testing.T, name, got string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	pretty = append(pretty, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(pretty)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// seeds are the secret sets most tests start with.
var seeds = []SecretSetSeed{
	{Name: "voice-starter-secrets", Keys: []string{"OPENAI_API_KEY"}},
	{Name: "dockerhub-credentials", Type: "imagePullSecret"},
	{Name: "east-secrets", Region: "us-east"},
	{Name: "east-pull", Type: "imagePullSecret", Region: "us-east"},
	{Name: "pending-secrets", Status: "pending"},
	{Name: "failed-secrets", Status: "failed"},
}

// specCreateBody is the spec's createService request example.
const specCreateBody = `{
  "serviceName": "voice-starter",
  "image": "your-dockername/voice-starter:0.1",
  "region": "us-west",
  "nodeType": "arm",
  "imagePullSecretSet": "dockerhub-credentials",
  "secretSet": "voice-starter-secrets",
  "autoScaling": {"minAgents": 1, "maxAgents": 20},
  "krispViva": {"audioFilter": "tel"},
  "agentProfile": "agent-1x",
  "maxSessionDuration": 3600
}`

// tarball packs files (path: content) as the official deploy action packs a
// build context: regular files in code point order, mtime 0, uid and gid
// 0, mode 0644, gzipped with a zero header mtime.
func tarball(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(body)), Mode: 0o644, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, body)
	}
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	return gz.Bytes()
}

// contextHash is the API's hash of an uploaded context.
func contextHash(archive []byte) string {
	sum := md5.Sum(archive)
	return hex.EncodeToString(sum[:])[:16]
}

// uploadForm is the multipart body of an upload: the fields in the order
// given, then the file (if not nil), as the official deploy action sends
// it, then the fields after.
func uploadForm(fields [][2]string, file []byte, after ...[2]string) (body []byte, contentType string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if file != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="context.tar.gz"`)
		h.Set("Content-Type", "application/gzip")
		w, _ := mw.CreatePart(h)
		w.Write(file)
	}
	for _, f := range after {
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// sortedFields lists an upload URL's fields in name order.
func sortedFields(m map[string]string) [][2]string {
	var out [][2]string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

// postForm posts a multipart body to an upload URL through the handler.
func postForm(s http.Handler, uploadURL string, body []byte, contentType string) *httptest.ResponseRecorder {
	u, _ := url.Parse(uploadURL)
	req := httptest.NewRequest("POST", u.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// upload asks for an upload URL in region and uploads archive to it,
// returning the upload ID.
func upload(t testing.TB, s http.Handler, region string, archive []byte) string {
	t.Helper()
	rec := serve(s, "POST", "/v1/builds/upload-url", `{"region":"`+region+`"}`, "Bearer k")
	if rec.Code != 200 {
		t.Fatalf("upload-url: %d %s", rec.Code, rec.Body)
	}
	var u cloud.UploadURLResponse
	json.Unmarshal(rec.Body.Bytes(), &u)
	if rec := postForm(s, u.UploadURL, nil, ""); rec.Code == 204 {
		t.Fatal("an empty upload was accepted")
	}
	body, ct := uploadForm(sortedFields(u.UploadFields), archive)
	if rec := postForm(s, u.UploadURL, body, ct); rec.Code != 204 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	return u.UploadID
}

// newBuild uploads files as a context in region and builds it with the
// Dockerfile at its default path, returning the build's ID.
func newBuild(t testing.TB, s http.Handler, region string, files map[string]string) string {
	t.Helper()
	id := upload(t, s, region, tarball(t, files))
	rec := serve(s, "POST", "/v1/builds", `{"uploadId":"`+id+`","region":"`+region+`"}`, "Bearer k")
	if rec.Code != 201 && rec.Code != 200 {
		t.Fatalf("create build: %d %s", rec.Code, rec.Body)
	}
	var out cloud.CreateBuildResponse
	json.Unmarshal(rec.Body.Bytes(), &out)
	return out.Build.ID
}

// okContext is a build context whose build succeeds.
var okContext = map[string]string{"Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/bot.py\"]\n", "bot.py": "print('hello')\n"}
