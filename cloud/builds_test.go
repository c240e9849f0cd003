package cloud_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
)

// packFiles packs a context of the given files.
func packFiles(t *testing.T, files map[string]string) *pack.Archive {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := pack.Spool(context.Background(), dir, t.TempDir(), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sandboxClient(t *testing.T) (*cloud.Client, *sandbox.Server) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return c, sb
}

// TestBuildCalls goes through the whole build API against the sandbox:
// upload, build, read, cache lookup, the server's cache hit, and the logs
// of a failing build.
func TestBuildCalls(t *testing.T) {
	ctx := context.Background()
	c, sb := sandboxClient(t)
	buildOf := func(a *pack.Archive) *cloud.CreateBuildResponse {
		t.Helper()
		u, err := c.UploadURL(ctx, "us-west")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Upload(ctx, u, cloud.UploadBody{Open: a.Open, Size: a.Compressed}); err != nil {
			t.Fatal(err)
		}
		out, err := c.CreateBuild(ctx, &cloud.CreateBuildRequest{UploadID: u.UploadID, Region: "us-west", DockerfilePath: "Dockerfile"})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	good := packFiles(t, map[string]string{"Dockerfile": "FROM python:3.12\n", "bot.py": "print('hi')\n"})
	first := buildOf(good)
	if first.Cached || first.ContextHash != good.ContextHash {
		t.Errorf("first build: cached %v, hash %s; want a new build of %s", first.Cached, first.ContextHash, good.ContextHash)
	}
	b, err := c.GetBuild(ctx, first.Build.ID)
	if err != nil || b.Status != cloud.BuildStatusSuccess || !cloud.BuildFinal(b.Status) {
		t.Fatalf("GetBuild = %+v, %v; want success", b, err)
	}
	found, err := c.ListBuilds(ctx, cloud.BuildQuery{ContextHash: good.ContextHash, DockerfilePath: "Dockerfile", Region: "us-west", Status: cloud.BuildStatusSuccess, Limit: 1})
	if err != nil || len(found) != 1 || found[0].ID != first.Build.ID {
		t.Errorf("cache lookup = %+v, %v; want build %s", found, err, first.Build.ID)
	}
	if none, err := c.ListBuilds(ctx, cloud.BuildQuery{ContextHash: good.ContextHash, Region: "eu-central", Status: cloud.BuildStatusSuccess, Limit: 1}); err != nil || len(none) != 0 {
		t.Errorf("lookup in another region = %+v, %v; want none", none, err)
	}
	if again := buildOf(good); !again.Cached || again.Build.ID != first.Build.ID {
		t.Errorf("the same context again: cached %v, build %s; want the cache hit %s", again.Cached, again.Build.ID, first.Build.ID)
	}

	failing := buildOf(packFiles(t, map[string]string{"Dockerfile": "FROM python:3.12\nRUN exit 1\n"}))
	b, err = c.GetBuild(ctx, failing.Build.ID)
	if err != nil || b.Status != cloud.BuildStatusFailed || !strings.Contains(b.ErrorMessage, "exit code: 1") {
		t.Fatalf("failing build = %+v, %v", b, err)
	}
	logs, err := c.GetBuildLogs(ctx, failing.Build.ID, 3)
	if err != nil || len(logs) != 3 || !strings.Contains(logs[2], "BUILD State: FAILED") {
		t.Errorf("last 3 log lines = %q, %v", logs, err)
	}

	var got []string
	for _, r := range sb.Requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{
		"POST /v1/builds/upload-url", "POST /_sandbox/upload", "POST /v1/builds", "GET /v1/builds/" + first.Build.ID,
		"GET /v1/builds", "GET /v1/builds",
		"POST /v1/builds/upload-url", "POST /_sandbox/upload", "POST /v1/builds",
		"POST /v1/builds/upload-url", "POST /_sandbox/upload", "POST /v1/builds", "GET /v1/builds/" + failing.Build.ID,
		"GET /v1/builds/" + failing.Build.ID + "/logs",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// uploadServer is a storage stand-in recording what it received.
type uploadServer struct {
	mu      sync.Mutex
	headers []http.Header
	parts   [][]string // form part names, in order, per request
	file    []byte
	status  []int   // answers, in order; then 204
	lengths []int64 // Content-Length per request (-1: none)
	chunked []bool  // whether the body came chunked
}

func (u *uploadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.headers = append(u.headers, r.Header.Clone())
	u.lengths = append(u.lengths, r.ContentLength)
	u.chunked = append(u.chunked, slices.Contains(r.TransferEncoding, "chunked"))
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	mr := multipart.NewReader(r.Body, params["boundary"])
	var names []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		names = append(names, p.FormName())
		data, _ := io.ReadAll(p)
		if p.FormName() == "file" {
			u.file = data
		}
	}
	u.parts = append(u.parts, names)
	if len(u.status) > 0 {
		st := u.status[0]
		u.status = u.status[1:]
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(st)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestUploadGoesWithoutTheKey: the upload goes to the URL the API gave
// (another host in production) with the fields first and the file last,
// Content-Type added as the official action adds it, no API key in any
// header, and a storage error retried and reported with its code.
func TestUploadGoesWithoutTheKey(t *testing.T) {
	store := &uploadServer{status: []int{503}}
	srv := httptest.NewServer(store)
	defer srv.Close()
	c, err := cloud.New(cloud.Options{BaseURL: "https://api.example", APIKey: testKey, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	up := &cloud.UploadURLResponse{UploadID: "u1", UploadURL: srv.URL + "/bucket", UploadFields: map[string]string{"key": "org/u1.tar.gz", "Policy": "cG9saWN5", "X-Amz-Signature": "abc"}}
	if err := c.Upload(context.Background(), up, cloud.UploadBytes([]byte("archive bytes"))); err != nil {
		t.Fatal(err)
	}
	want := []string{"Policy", "X-Amz-Signature", "key", "Content-Type", "file"}
	if len(store.parts) != 2 {
		t.Fatalf("%d uploads, want 2 (a 503, then the retry)", len(store.parts))
	}
	for i, names := range store.parts {
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("upload %d: form parts (-want +got):\n%s", i, diff)
		}
	}
	if string(store.file) != "archive bytes" {
		t.Errorf("file part = %q", store.file)
	}
	for _, h := range store.headers {
		for k, vs := range h {
			if strings.Contains(strings.Join(vs, " "), testKey) || strings.EqualFold(k, "Authorization") {
				t.Errorf("the upload carried %s: %q", k, vs)
			}
		}
	}

	// A storage error that is no retry is returned with its code.
	store.status = []int{403}
	err = c.Upload(context.Background(), up, cloud.UploadBytes([]byte("x")))
	var ae *cloud.Error
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "SlowDown" || !strings.Contains(err.Error(), "POST "+srv.URL+"/bucket: 403") {
		t.Errorf("Upload = %v; want the storage's 403 and code", err)
	}
}

// TestUploadStreams: the archive is read from UploadBody.Open, opened anew
// for a retry, and sent with a Content-Length (S3's POST refuses a
// chunked body), the whole form counted.
func TestUploadStreams(t *testing.T) {
	store := &uploadServer{status: []int{503}}
	srv := httptest.NewServer(store)
	defer srv.Close()
	c, err := cloud.New(cloud.Options{BaseURL: "https://api.example", APIKey: testKey, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	opens := 0
	body := cloud.UploadBody{Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
	up := &cloud.UploadURLResponse{UploadID: "u1", UploadURL: srv.URL + "/bucket", UploadFields: map[string]string{"key": "org/u1.tar.gz"}}
	if err := c.Upload(context.Background(), up, body); err != nil {
		t.Fatal(err)
	}
	if opens != 2 || len(store.lengths) != 2 {
		t.Fatalf("%d opens, %d requests; want 2 of each (a 503, then the retry)", opens, len(store.lengths))
	}
	for i := range store.lengths {
		if store.chunked[i] || store.lengths[i] <= int64(len(data)) {
			t.Errorf("request %d: Content-Length %d, chunked %v; want the form's length, not chunked", i, store.lengths[i], store.chunked[i])
		}
	}
	if !bytes.Equal(store.file, data) {
		t.Errorf("file part: %d bytes, want the %d sent", len(store.file), len(data))
	}

	// An archive that cannot be opened is an error, named.
	body.Open = func() (io.ReadCloser, error) { return nil, errors.New("spooled archive gone") }
	if err := c.Upload(context.Background(), up, body); err == nil || !strings.Contains(err.Error(), "spooled archive gone") {
		t.Errorf("Upload with a failing Open = %v", err)
	}
}

// TestUploadURLRefused: an upload URL the client would not send an API
// request to is refused before anything is sent.
func TestUploadURLRefused(t *testing.T) {
	c, err := cloud.New(cloud.Options{BaseURL: "https://api.example", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]string{
		"http://bucket.example/up":        "plain http is allowed only for a loopback host",
		"https://user:pw@bucket.example/": "must not contain credentials",
		"/relative":                       "not an absolute http(s) URL",
		"ftp://bucket.example/":           "not an absolute http(s) URL",
	} {
		err := c.Upload(context.Background(), &cloud.UploadURLResponse{UploadURL: url}, cloud.UploadBytes([]byte("x")))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "pw") {
			t.Errorf("Upload to %s = %v; want %q", url, err, want)
		}
	}
}
