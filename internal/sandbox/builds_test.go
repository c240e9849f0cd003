package sandbox

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

func getBuild(t *testing.T, s *Server, id string) cloud.Build {
	t.Helper()
	return *decode[cloud.GetBuildResponse](t, mustCall(t, s, "GET", "/v1/builds/"+id, "", 200)).Build
}

func buildLogLines(t *testing.T, s *Server, id string) []string {
	t.Helper()
	return decode[cloud.GetBuildLogsResponse](t, mustCall(t, s, "GET", "/v1/builds/"+id+"/logs", "", 200)).Logs
}

// TestBuildLifecycle: a build is pending for the first quarter of the
// build delay, building until it ends, then success; its log grows as it
// runs, and what the API shows at each step is fixed by the clock.
func TestBuildLifecycle(t *testing.T) {
	s, clk := newTestServer(t, Options{BuildDelay: 40 * time.Second})
	archive := tarball(t, okContext)
	up := upload(t, s, "us-west", archive)
	created := decode[cloud.CreateBuildResponse](t, mustCall(t, s, "POST", "/v1/builds", `{"uploadId":"`+up+`","region":"us-west","dockerfilePath":"Dockerfile"}`, 201))
	if created.Cached || created.ContextHash != contextHash(archive) {
		t.Errorf("create: cached %v, contextHash %s, want %s", created.Cached, created.ContextHash, contextHash(archive))
	}
	id := created.Build.ID
	steps := []struct {
		advance time.Duration
		status  string
		logs    int
	}{
		{0, "pending", 0},
		{10 * time.Second, "building", 1},
		{15 * time.Second, "building", 7},
		{15 * time.Second, "success", 13},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		b := getBuild(t, s, id)
		if b.Status != st.status || len(buildLogLines(t, s, id)) != st.logs {
			t.Errorf("after %v more: status %s with %d log lines, want %s with %d", st.advance, b.Status, len(buildLogLines(t, s, id)), st.status, st.logs)
		}
	}
	golden(t, "build-success.json", mustCall(t, s, "GET", "/v1/builds/"+id, "", 200))
	golden(t, "build-success-logs.json", mustCall(t, s, "GET", "/v1/builds/"+id+"/logs", "", 200))
	// The last lines only, as a client showing a failure's tail asks.
	if got := decode[cloud.GetBuildLogsResponse](t, mustCall(t, s, "GET", "/v1/builds/"+id+"/logs?limit=2", "", 200)).Logs; len(got) != 2 || !strings.HasSuffix(got[1], "Phase complete: BUILD State: SUCCEEDED") {
		t.Errorf("last two lines: %q", got)
	}
}

// TestBuildOutcomes: the outcome follows from the uploaded context, the
// same way every time.
func TestBuildOutcomes(t *testing.T) {
	gz := func(data string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(data))
		zw.Close()
		return b.Bytes()
	}
	tests := []struct {
		name       string
		archive    []byte
		dockerfile string
		want       string // errorMessage; "" for success
		lastLog    string
	}{
		{"a good context", tarball(t, okContext), "", "", "Phase complete: BUILD State: SUCCEEDED"},
		{"Dockerfile in a directory", tarball(t, map[string]string{"docker/prod.Dockerfile": "FROM scratch\n"}), "docker/prod.Dockerfile", "", "Phase complete: BUILD State: SUCCEEDED"},
		{"path with ./", tarball(t, map[string]string{"./Dockerfile": "FROM scratch\n"}), "./Dockerfile", "", "Phase complete: BUILD State: SUCCEEDED"},
		{"RUN exit 10 is not RUN exit 1", tarball(t, map[string]string{"Dockerfile": "FROM scratch\nRUN exit 10\n"}), "", "", "Phase complete: BUILD State: SUCCEEDED"},
		{"missing Dockerfile", tarball(t, map[string]string{"bot.py": "print()\n"}), "",
			"Docker build failed: failed to read dockerfile: open Dockerfile: no such file or directory", "Phase complete: BUILD State: FAILED"},
		{"Dockerfile elsewhere than said", tarball(t, okContext), "docker/Dockerfile",
			"Docker build failed: failed to read dockerfile: open docker/Dockerfile: no such file or directory", "Phase complete: BUILD State: FAILED"},
		{"RUN exit 1", tarball(t, map[string]string{"Dockerfile": "FROM python:3.12\nCOPY . /app\nRUN exit 1\nCMD [\"python\"]\n"}), "",
			`Docker build failed: process "/bin/sh -c exit 1" did not complete successfully: exit code: 1`, "Phase complete: BUILD State: FAILED"},
		{"run exit 1, indented, continued", tarball(t, map[string]string{"Dockerfile": "FROM python:3.12\n  run exit \\\n  1\n"}), "",
			`Docker build failed: process "/bin/sh -c exit 1" did not complete successfully: exit code: 1`, "Phase complete: BUILD State: FAILED"},
		{"empty Dockerfile", tarball(t, map[string]string{"Dockerfile": "# nothing\n\n"}), "",
			"Docker build failed: failed to solve: the Dockerfile cannot be empty", "Phase complete: BUILD State: FAILED"},
		{"not gzipped", []byte("plain text"), "",
			"Docker build failed: failed to read the build context: not a gzipped tar archive", "Phase complete: BUILD State: FAILED"},
		{"gzipped, not a tar", gz("plain text that is no tar header at all, but long enough to be read as one block?"), "",
			"Docker build failed: failed to read the build context: not a gzipped tar archive: unexpected EOF", "Phase complete: BUILD State: FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{})
			up := upload(t, s, "us-west", tt.archive)
			body := `{"uploadId":"` + up + `","region":"us-west"}`
			if tt.dockerfile != "" {
				body = `{"uploadId":"` + up + `","region":"us-west","dockerfilePath":"` + tt.dockerfile + `"}`
			}
			id := decode[cloud.CreateBuildResponse](t, mustCall(t, s, "POST", "/v1/builds", body, 201)).Build.ID
			b := getBuild(t, s, id)
			wantStatus := "success"
			if tt.want != "" {
				wantStatus = "failed"
			}
			if b.Status != wantStatus || b.ErrorMessage != tt.want || (b.ImageURI != "") != (tt.want == "") {
				t.Errorf("status %s, errorMessage %q, imageUri %q; want %s, %q", b.Status, b.ErrorMessage, b.ImageURI, wantStatus, tt.want)
			}
			logs := buildLogLines(t, s, id)
			if !strings.HasSuffix(logs[len(logs)-1], tt.lastLog) {
				t.Errorf("last log line %q, want one ending %q", logs[len(logs)-1], tt.lastLog)
			}
		})
	}
	// A failure's log, whole.
	s, clk := newTestServer(t, Options{BuildDelay: 10 * time.Second})
	id := newBuild(t, s, "us-west", map[string]string{"Dockerfile": "FROM python:3.12\nCOPY . /app\nRUN exit 1\nCMD [\"python\"]\n"})
	clk.Advance(10 * time.Second)
	logs := mustCall(t, s, "GET", "/v1/builds/"+id+"/logs", "", 200)
	golden(t, "build-failed-logs.json", logs)
	// The console page logsUrl points at shows the same lines, as text.
	b := getBuild(t, s, id)
	if b.LogsURL != "http://example.com/_sandbox/builds/"+id+"/logs" {
		t.Errorf("logsUrl %s", b.LogsURL)
	}
	rec := serve(s, "GET", strings.TrimPrefix(b.LogsURL, "http://example.com"), "", "")
	if want := strings.Join(decode[cloud.GetBuildLogsResponse](t, logs).Logs, "\n") + "\n"; rec.Code != 200 || rec.Body.String() != want {
		t.Errorf("console logs: %d\n%s\nwant\n%s", rec.Code, rec.Body, want)
	}
	if rec := serve(s, "GET", "/_sandbox/builds/nope/logs", "", ""); rec.Code != 404 {
		t.Errorf("console logs of an unknown build: %d", rec.Code)
	}
}

// TestBuildCache: POST /v1/builds answers an earlier successful build of
// the same context hash, Dockerfile path and region with 200 and cached;
// anything else builds anew.
func TestBuildCache(t *testing.T) {
	s, clk := newTestServer(t, Options{BuildDelay: 10 * time.Second})
	archive := tarball(t, okContext)
	create := func(region, dockerfile string, want int) cloud.CreateBuildResponse {
		t.Helper()
		up := upload(t, s, region, archive)
		return decode[cloud.CreateBuildResponse](t, mustCall(t, s, "POST", "/v1/builds", `{"uploadId":"`+up+`","region":"`+region+`","dockerfilePath":"`+dockerfile+`"}`, want))
	}
	first := create("us-west", "Dockerfile", 201)
	// Still building: not yet a cache hit.
	second := create("us-west", "Dockerfile", 201)
	clk.Advance(10 * time.Second)
	hit := create("us-west", "Dockerfile", 200)
	if !hit.Cached || hit.Build.ID != second.Build.ID || hit.Build.Status != "success" || hit.ContextHash != first.ContextHash {
		t.Errorf("cache hit: cached %v, build %s (%s), want the latest success %s", hit.Cached, hit.Build.ID, hit.Build.Status, second.Build.ID)
	}
	for _, c := range []struct{ region, dockerfile string }{{"us-east", "Dockerfile"}, {"us-west", "./Dockerfile"}} {
		if got := create(c.region, c.dockerfile, 201); got.Cached {
			t.Errorf("%s %s: a cache hit", c.region, c.dockerfile)
		}
	}
	// A failed build is never reused.
	failing := tarball(t, map[string]string{"Dockerfile": "FROM scratch\nRUN exit 1\n"})
	up := upload(t, s, "us-west", failing)
	mustCall(t, s, "POST", "/v1/builds", `{"uploadId":"`+up+`","region":"us-west"}`, 201)
	clk.Advance(10 * time.Second)
	up = upload(t, s, "us-west", failing)
	mustCall(t, s, "POST", "/v1/builds", `{"uploadId":"`+up+`","region":"us-west"}`, 201)
}

// TestListBuilds: the cache lookup's filters, newest first, paginated.
func TestListBuilds(t *testing.T) {
	s, clk := newTestServer(t, Options{BuildDelay: 10 * time.Second})
	a, b := map[string]string{"Dockerfile": "FROM a\n"}, map[string]string{"Dockerfile": "FROM b\n"}
	ha, hb := contextHash(tarball(t, a)), contextHash(tarball(t, b))
	var ids []string
	for _, c := range []struct {
		region string
		files  map[string]string
	}{{"us-west", a}, {"us-east", a}, {"us-west", b}} {
		ids = append(ids, newBuild(t, s, c.region, c.files))
		clk.Advance(10 * time.Second) // each done before the next
	}
	ids = append(ids, newBuild(t, s, "us-west", map[string]string{"Dockerfile": "FROM c\n"}))
	clk.Advance(5 * time.Second) // building
	list := func(query string) (got []string, total int) {
		t.Helper()
		l := decode[cloud.ListBuildsResponse](t, mustCall(t, s, "GET", "/v1/builds"+query, "", 200))
		for _, b := range l.Builds {
			got = append(got, b.ID)
		}
		return got, l.Total
	}
	tests := []struct {
		query string
		want  []string
		total int
	}{
		{"", []string{ids[3], ids[2], ids[1], ids[0]}, 4},
		{"?contextHash=" + ha, []string{ids[1], ids[0]}, 2},
		{"?contextHash=" + ha + "&dockerfilePath=Dockerfile&region=us-west&status=success&limit=1", []string{ids[0]}, 1},
		{"?contextHash=" + hb + "&dockerfilePath=other/Dockerfile", nil, 0},
		{"?status=building", []string{ids[3]}, 1},
		{"?status=success&limit=2", []string{ids[2], ids[1]}, 3},
		{"?status=success&limit=2&offset=2", []string{ids[0]}, 3},
		{"?offset=9", nil, 4},
	}
	for _, tt := range tests {
		got, total := list(tt.query)
		if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.total {
			t.Errorf("%s: total %d (want %d), builds (-want +got):\n%s", tt.query, total, tt.total, diff)
		}
	}
	bad := func(msg string) string { return errBody(msg, "GENERIC_BAD_REQUEST") }
	for _, c := range []struct{ query, want string }{
		{"?status=done", bad("Invalid status 'done'. Valid values are: pending, building, success, failed, timeout.")},
		{"?limit=0", bad("Invalid limit '0'. Must be an integer between 1 and 100.")},
		{"?limit=x", bad("Invalid limit 'x'. Must be an integer between 1 and 100.")},
		{"?offset=-1", bad("Invalid offset '-1'. Must be an integer between 0 and 2147483647.")},
	} {
		if code, body := call(t, s, "GET", "/v1/builds"+c.query, ""); code != 400 || body != c.want {
			t.Errorf("%s: %d %s", c.query, code, body)
		}
	}
}

// TestBuildRequestErrors: what POST /v1/builds/upload-url, POST /v1/builds
// and the reads refuse, with the API's error bodies.
func TestBuildRequestErrors(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	up := upload(t, s, "us-west", tarball(t, okContext))
	pending := decode[cloud.UploadURLResponse](t, mustCall(t, s, "POST", "/v1/builds/upload-url", `{"region":"us-west"}`, 200)).UploadID
	bad := func(msg string) string { return errBody(msg, "GENERIC_BAD_REQUEST") }
	const unknown = "123e4567-e89b-12d3-a456-426614174000"
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"upload URL in an unknown region", "POST", "/v1/builds/upload-url", `{"region":"mars"}`, 400, bad("Invalid region or organization does not have access")},
		{"upload URL, no JSON", "POST", "/v1/builds/upload-url", `region=us-west`, 400, bad("Invalid request format")},
		{"build without uploadId", "POST", "/v1/builds", `{"region":"us-west"}`, 400, bad("Invalid request format")},
		{"upload URL with a field the API does not define", "POST", "/v1/builds/upload-url", `{"region":"us-west","regoin":"us-west"}`, 400, bad("Invalid request format")},
		{"build with a field the API does not define", "POST", "/v1/builds", `{"uploadId":"123e4567-e89b-12d3-a456-426614174000","region":"us-west","dockerfile":"Dockerfile"}`, 400, bad("Invalid request format")},
		{"build with a malformed uploadId", "POST", "/v1/builds", `{"uploadId":"upload-1","region":"us-west"}`, 400, bad("Invalid request format")},
		{"build from an unknown upload", "POST", "/v1/builds", `{"uploadId":"` + unknown + `","region":"us-west"}`, 400, bad("Upload not found")},
		{"build before the upload", "POST", "/v1/builds", `{"uploadId":"` + pending + `","region":"us-west"}`, 400, bad("Upload not found")},
		{"build in another region", "POST", "/v1/builds", `{"uploadId":"` + up + `","region":"us-east"}`, 400, bad("Region 'us-east' does not match the region of the upload ('us-west').")},
		{"get by a malformed ID", "GET", "/v1/builds/b-1", "", 400, bad("Invalid build ID format")},
		{"get an unknown build", "GET", "/v1/builds/" + unknown, "", 404, errBody("Build not found", "NOT_FOUND")},
		{"logs by a malformed ID", "GET", "/v1/builds/b-1/logs", "", 400, bad("Invalid build ID format")},
		{"logs of an unknown build", "GET", "/v1/builds/" + unknown + "/logs", "", 404, errBody("Build not found", "NOT_FOUND")},
		{"logs with limit 10001", "GET", "/v1/builds/" + unknown + "/logs?limit=10001", "", 400, bad("Invalid limit '10001'. Must be an integer between 1 and 10000.")},
	}
	for _, tt := range tests {
		if code, body := call(t, s, tt.method, tt.path, tt.body); code != tt.code || body != tt.want {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, code, body, tt.code, tt.want)
		}
	}
	if got := decode[cloud.ListBuildsResponse](t, mustCall(t, s, "GET", "/v1/builds", "", 200)); got.Total != 0 {
		t.Errorf("refused requests made builds: %+v", got)
	}
}

// TestAgentFromBuild: an agent's buildId must name a successful build in
// its region, with the spec's messages.
func TestAgentFromBuild(t *testing.T) {
	s, clk := newTestServer(t, Options{BuildDelay: 10 * time.Second})
	ok := newBuild(t, s, "us-west", okContext)
	eu := newBuild(t, s, "eu-central", okContext)
	failed := newBuild(t, s, "us-west", map[string]string{"Dockerfile": "RUN exit 1\n"})
	clk.Advance(10 * time.Second)
	building := newBuild(t, s, "us-west", map[string]string{"Dockerfile": "FROM python\n"})
	clk.Advance(5 * time.Second)
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
	bad := func(msg string) string { return errBody(msg, "GENERIC_BAD_REQUEST") }
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"unknown build", "POST", "/v1/agents", `{"serviceName":"new","buildId":"123e4567-e89b-12d3-a456-426614174000"}`, 400, bad("Build not found")},
		{"build in another region", "POST", "/v1/agents", `{"serviceName":"new","buildId":"` + eu + `"}`, 400,
			bad("Build is in region 'eu-central' but service is in region 'us-west'. Builds must be in the same region as the service.")},
		{"build still building", "POST", "/v1/agents", `{"serviceName":"new","buildId":"` + building + `"}`, 400,
			bad("Build is not ready (status: building). Only successful builds can be deployed.")},
		{"failed build", "POST", "/v1/agents/bot", `{"buildId":"` + failed + `"}`, 400,
			bad("Build is not ready (status: failed). Only successful builds can be deployed.")},
		{"update to a build in another region", "POST", "/v1/agents/bot", `{"buildId":"` + eu + `"}`, 400,
			bad("Build is in region 'eu-central' but service is in region 'us-west'. Builds must be in the same region as the service.")},
	}
	for _, tt := range tests {
		if code, body := call(t, s, tt.method, tt.path, tt.body); code != tt.code || body != tt.want {
			t.Errorf("%s: got %d %s, want %d %s", tt.name, code, body, tt.code, tt.want)
		}
	}
	mustCall(t, s, "GET", "/v1/agents/new", "", 404)
	d := decode[cloud.ServiceDetails](t, mustCall(t, s, "POST", "/v1/agents/bot", `{"buildId":"`+ok+`"}`, 200))
	if d.Deployment.Manifest.Spec.Image != RedactedImage {
		t.Errorf("image %q", d.Deployment.Manifest.Spec.Image)
	}
}

// TestUploadChecks: the upload endpoint refuses, as S3 does for a
// presigned POST, every form that does not match its signed policy, and
// stores nothing then.
func TestUploadChecks(t *testing.T) {
	archive := tarball(t, okContext)
	tests := []struct {
		name    string
		advance time.Duration
		edit    func(fields map[string]string) // of the fields as handed out
		file    []byte
		form    func(fields [][2]string, file []byte) ([]byte, string)
		status  int
		code    string
		msg     string
	}{
		{name: "signature of another policy", edit: func(f map[string]string) { f["X-Amz-Signature"] = strings.Repeat("0", 64) },
			status: 403, code: "SignatureDoesNotMatch", msg: "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
		{name: "policy changed", edit: func(f map[string]string) { f["Policy"] = f["Policy"][:10] + "x" + f["Policy"][11:] },
			status: 403, code: "SignatureDoesNotMatch", msg: "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
		{name: "expired", advance: 15 * time.Minute, status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Policy expired."},
		{name: "another key", edit: func(f map[string]string) { f["key"] = "sandbox-org/other.tar.gz" },
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "sandbox-org/00000000-0000-4000-8000-000000000001.tar.gz"]`},
		{name: "another content type", edit: func(f map[string]string) { f["Content-Type"] = "text/plain" },
			status: 403, code: "AccessDenied", msg: `Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "application/gzip"]`},
		{name: "a field the policy does not cover", edit: func(f map[string]string) { f["acl"] = "public-read" },
			status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Extra input fields: acl"},
		{name: "no key", edit: func(f map[string]string) { delete(f, "key") },
			status: 400, code: "InvalidArgument", msg: "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."},
		{name: "no policy", edit: func(f map[string]string) { delete(f, "Policy") },
			status: 400, code: "InvalidArgument", msg: "Bucket POST must contain a field named 'Policy'.  If it is specified, please check the order of the fields."},
		{name: "no signature", edit: func(f map[string]string) { delete(f, "X-Amz-Signature") },
			status: 400, code: "InvalidArgument", msg: "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields."},
		{name: "larger than the cap", file: bytes.Repeat([]byte("x"), 1025),
			status: 400, code: "EntityTooLarge", msg: "Your proposed upload exceeds the maximum allowed size"},
		{name: "empty file", file: []byte{}, status: 400, code: "EntityTooSmall", msg: "Your proposed upload is smaller than the minimum allowed size"},
		{name: "no file", form: func(f [][2]string, _ []byte) ([]byte, string) { return uploadForm(f, nil) },
			status: 400, code: "InvalidArgument", msg: "POST requires exactly one file upload per request."},
		{name: "file before the fields", form: func(f [][2]string, file []byte) ([]byte, string) {
			return uploadForm(nil, file, f...)
		}, status: 400, code: "InvalidArgument", msg: "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields."},
		{name: "not a form", form: func([][2]string, []byte) ([]byte, string) { return archive, "application/gzip" },
			status: 412, code: "PreconditionFailed", msg: "Bucket POST must be of the enclosure-type multipart/form-data"},
		{name: "a broken form", form: func(f [][2]string, file []byte) ([]byte, string) {
			body, ct := uploadForm(f, file)
			return body[:40], ct
		}, status: 400, code: "MalformedPOSTRequest", msg: "The body of your POST request is not well-formed multipart/form-data."},
		{name: "fields over 20 KiB", edit: func(f map[string]string) { f["x-ignore-me"] = strings.Repeat("x", 21<<10) },
			status: 400, code: "MaxPostPreDataLengthExceeded", msg: "Your POST request fields preceding the upload file were too large."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newTestServer(t, Options{MaxUploadBytes: 1024})
			u := decode[cloud.UploadURLResponse](t, mustCall(t, s, "POST", "/v1/builds/upload-url", `{"region":"us-west"}`, 200))
			clk.Advance(tt.advance)
			if tt.edit != nil {
				tt.edit(u.UploadFields)
			}
			file := archive
			if tt.file != nil {
				file = tt.file
			}
			form := func(f [][2]string, file []byte) ([]byte, string) { return uploadForm(f, file) }
			if tt.form != nil {
				form = tt.form
			}
			body, ct := form(sortedFields(u.UploadFields), file)
			rec := postForm(s, u.UploadURL, body, ct)
			want := fmt.Sprintf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", tt.code, xmlEscape(tt.msg))
			if rec.Code != tt.status || rec.Body.String() != want || rec.Header().Get("Content-Type") != "application/xml" {
				t.Errorf("got %d %s\nwant %d %s", rec.Code, rec.Body, tt.status, want)
			}
			// Nothing was stored: the upload cannot be built.
			if code, body := call(t, s, "POST", "/v1/builds", `{"uploadId":"`+u.UploadID+`","region":"us-west"}`); code != 400 || body != errBody("Upload not found", "GENERIC_BAD_REQUEST") {
				t.Errorf("build after a refused upload: %d %s", code, body)
			}
		})
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;").Replace(s)
}

// TestUploadReplaces: a second upload to the same URL replaces the first,
// as an object upload does; fields after the file are ignored; the answer
// carries the MD5 as ETag.
func TestUploadReplaces(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	u := decode[cloud.UploadURLResponse](t, mustCall(t, s, "POST", "/v1/builds/upload-url", `{"region":"us-west"}`, 200))
	first, second := tarball(t, map[string]string{"Dockerfile": "RUN exit 1\n"}), tarball(t, okContext)
	for _, archive := range [][]byte{first, second} {
		body, ct := uploadForm(sortedFields(u.UploadFields), archive, [2]string{"acl", "public-read"})
		rec := postForm(s, u.UploadURL, body, ct)
		if rec.Code != 204 || rec.Body.Len() != 0 {
			t.Fatalf("upload: %d %s", rec.Code, rec.Body)
		}
		if etag, sum := rec.Header().Get("ETag"), contextHash(archive); !strings.HasPrefix(etag, `"`+sum) {
			t.Errorf("ETag %s, want the MD5 starting %s", etag, sum)
		}
	}
	b := decode[cloud.CreateBuildResponse](t, mustCall(t, s, "POST", "/v1/builds", `{"uploadId":"`+u.UploadID+`","region":"us-west"}`, 201))
	if b.ContextHash != contextHash(second) || b.Build.Status != "success" {
		t.Errorf("build of the replaced upload: %s %s, want %s success", b.ContextHash, b.Build.Status, contextHash(second))
	}
}

// TestBuildsPersist: uploads, their contexts, builds and the signing key
// survive a restart (as after kill -9): an upload URL handed out before
// still works, an upload made before can be built after.
func TestBuildsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := newTestServer(t, Options{StatePath: path})
	built := newBuild(t, s, "us-west", okContext)
	uploaded := upload(t, s, "us-west", tarball(t, map[string]string{"Dockerfile": "FROM b\n"}))
	later := decode[cloud.UploadURLResponse](t, mustCall(t, s, "POST", "/v1/builds/upload-url", `{"region":"eu-central"}`, 200))

	r := reopen(t, path)
	if b := getBuild(t, r, built); b.Status != "success" {
		t.Errorf("build after the restart: %+v", b)
	}
	mustCall(t, r, "POST", "/v1/builds", `{"uploadId":"`+uploaded+`","region":"us-west"}`, 201)
	body, ct := uploadForm(sortedFields(later.UploadFields), tarball(t, okContext))
	if rec := postForm(r, later.UploadURL, body, ct); rec.Code != 204 {
		t.Errorf("upload to a URL from before the restart: %d %s", rec.Code, rec.Body)
	}
	mustCall(t, r, "POST", "/v1/agents", `{"serviceName":"bot","buildId":"`+built+`"}`, 200)
	if got := decode[cloud.ListBuildsResponse](t, mustCall(t, reopen(t, path), "GET", "/v1/builds", "", 200)).Total; got != 2 {
		t.Errorf("%d builds after a second restart, want 2", got)
	}
}

// TestUploadOutlivesReadTimeout: an upload may take longer than the
// server's ReadTimeout, which bounds API requests.
func TestUploadOutlivesReadTimeout(t *testing.T) {
	s, _ := newTestServer(t, Options{ReadTimeout: 50 * time.Millisecond})
	srv := s.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	rec := serve(s, "POST", "/v1/builds/upload-url", `{"region":"us-west"}`, "Bearer k")
	var u cloud.UploadURLResponse
	json.Unmarshal(rec.Body.Bytes(), &u)
	body, ct := uploadForm(sortedFields(u.UploadFields), tarball(t, okContext))
	// A slow client: half the form, a pause of several read timeouts,
	// the rest.
	pr := &slowReader{data: body, pause: 200 * time.Millisecond}
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+uploadPath, pr)
	req.Header.Set("Content-Type", ct)
	req.ContentLength = int64(len(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Errorf("slow upload: %d", resp.StatusCode)
	}
}

// slowReader gives the first half of its data, then, after a pause, the
// rest.
type slowReader struct {
	data  []byte
	pause time.Duration
	reads int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.reads++
	n := len(r.data)
	switch r.reads {
	case 1:
		n = max(1, n/2)
	case 2:
		time.Sleep(r.pause)
	}
	n = copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}
