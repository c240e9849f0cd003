package sandbox

// Cloud builds: POST /v1/builds/upload-url hands out a presigned-style
// upload (see upload.go), POST /v1/builds builds the uploaded context (or
// returns an earlier successful build of the same context, Dockerfile and
// region), and the build runs pending -> building -> success or failed
// over BuildDelay, by the clock. The outcome is decided at creation from
// the archive: failed when it is not a gzipped tar, when the Dockerfile is
// missing from it, or when the Dockerfile has a line `RUN exit 1`.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

const (
	// uploadURLLifetime is how long an upload URL is valid (the spec:
	// "expires after 15 minutes").
	uploadURLLifetime = 15 * time.Minute
	// defaultMaxUploadBytes is the API's limit on a build context, as
	// the official deploy action enforces it.
	defaultMaxUploadBytes = 500 << 20
	defaultDockerfile     = "Dockerfile"
	// maxDockerfileBytes bounds how much of a Dockerfile is read.
	maxDockerfileBytes = 1 << 20
)

// baseURL is the sandbox's own address as the client reached it, for the
// URLs it hands out.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// requestRegion checks the region a build request names, answering 400
// when it is unknown. The spec requires one, but the platform takes the
// organization's default when it is left out, and the official deploy
// action leaves it out when its region input is empty (its documented
// default: "uses org default"); so does the sandbox: "" then.
func (s *Server) requestRegion(res *response, region *string) (string, bool) {
	switch {
	case region == nil || *region == "":
		return "", true
	case !s.regionKnown(*region):
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid region or organization does not have access")
		return "", false
	}
	return *region, true
}

func (s *Server) createUploadURL(res *response, r *http.Request, _ string) {
	var req struct {
		Region *string `json:"region"`
	}
	if !decodeBody(r, &req) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid request format")
		return
	}
	region, ok := s.requestRegion(res, req.Region)
	if !ok {
		return
	}
	s.lock(res)
	defer s.mu.Unlock()
	if region == "" {
		region = s.orgDefaultRegion()
	}
	id := s.newID()
	u := &Upload{Region: region, ExpiresAt: s.now().Add(uploadURLLifetime)}
	res.after = put(s, uploadsTable, id, u)
	res.json(http.StatusOK, cloud.UploadURLResponse{
		UploadID:     id,
		UploadURL:    baseURL(r) + uploadPath,
		UploadFields: s.uploadFields(id, u.ExpiresAt),
		ExpiresAt:    timestamp(u.ExpiresAt),
	})
}

func (s *Server) createBuild(res *response, r *http.Request, _ string) {
	var req struct {
		UploadID       *string `json:"uploadId"`
		Region         *string `json:"region"`
		DockerfilePath *string `json:"dockerfilePath"`
	}
	if !decodeBody(r, &req) || req.UploadID == nil || !uuidPattern.MatchString(*req.UploadID) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid request format")
		return
	}
	region, ok := s.requestRegion(res, req.Region)
	if !ok {
		return
	}
	dockerfile := defaultDockerfile
	if given(req.DockerfilePath) {
		dockerfile = *req.DockerfilePath
	}
	uploadID := strings.ToLower(*req.UploadID)

	s.lock(res)
	if region == "" {
		region = s.orgDefaultRegion()
	}
	u := s.state.Uploads[uploadID]
	if u == nil || u.ContextHash == "" {
		// Never handed out, or nothing uploaded to it.
		s.mu.Unlock()
		res.fail(http.StatusBadRequest, codeBadRequest, "Upload not found")
		return
	}
	if u.Region != region {
		s.mu.Unlock()
		res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Region '%s' does not match the region of the upload ('%s').", region, u.Region))
		return
	}
	now := s.now()
	if id, b := s.cachedBuild(u.ContextHash, dockerfile, region, now); b != nil {
		out := s.renderBuild(id, b, now, baseURL(r))
		res.json(http.StatusOK, cloud.CreateBuildResponse{Build: &out, ContextHash: u.ContextHash, Cached: true})
		s.mu.Unlock()
		return
	}
	size, hash := u.Size, u.ContextHash
	s.mu.Unlock()

	// Read and judge the context outside the lock: it may be large. The
	// blob is the one of this hash, even if the upload is replaced
	// meanwhile.
	archive, err := s.openBlob(uploadID, hash)
	if err != nil {
		s.internalError(res, err)
		return
	}
	result, errMsg, steps := judge(archive, dockerfile)
	archive.Close()

	s.mu.Lock()
	defer s.mu.Unlock()
	now = s.now()
	id := s.newID()
	b := &Build{
		Region: region, UploadID: uploadID, ContextHash: hash, DockerfilePath: dockerfile, ContextSize: size,
		CreatedAt: now, StartedAt: now.Add(s.opts.BuildDelay / 4), CompletedAt: now.Add(s.opts.BuildDelay),
		Result: result, ErrorMessage: errMsg,
	}
	b.Logs = buildLogs(b, steps, imageURI(id, region))
	res.after = put(s, buildsTable, id, b)
	out := s.renderBuild(id, b, now, baseURL(r))
	res.json(http.StatusCreated, cloud.CreateBuildResponse{Build: &out, ContextHash: hash, Cached: false})
}

// cachedBuild is the latest build of the same context, Dockerfile and
// region that has succeeded by now. s.mu is held.
func (s *Server) cachedBuild(hash, dockerfile, region string, now time.Time) (string, *Build) {
	var id string
	var found *Build
	for bid, b := range s.state.Builds {
		if b.ContextHash == hash && b.DockerfilePath == dockerfile && b.Region == region && b.status(now) == cloud.BuildStatusSuccess &&
			(found == nil || b.CreatedAt.After(found.CreatedAt) || b.CreatedAt.Equal(found.CreatedAt) && bid > id) {
			id, found = bid, b
		}
	}
	return id, found
}

// status is the build's status at now.
func (b *Build) status(now time.Time) string {
	switch {
	case now.Before(b.StartedAt):
		return cloud.BuildStatusPending
	case now.Before(b.CompletedAt):
		return cloud.BuildStatusBuilding
	}
	return b.Result
}

// logsAt returns the log lines written by now.
func (b *Build) logsAt(now time.Time) []string {
	shown := 0
	for shown < len(b.Logs) && !now.Before(b.lineTime(shown, len(b.Logs))) {
		shown++
	}
	return b.Logs[:shown]
}

// imageURI is where a successful build's image is, in the style of the
// API's registry.
func imageURI(id, region string) string {
	return "registry.sandbox.invalid/" + region + "/" + namespace + ":" + id
}

// renderBuild is b as the API shows it at now.
func (s *Server) renderBuild(id string, b *Build, now time.Time, base string) cloud.Build {
	st := b.status(now)
	out := cloud.Build{
		ID:               id,
		OrganizationID:   organizationID,
		Status:           st,
		Region:           b.Region,
		ContextHash:      b.ContextHash,
		DockerfilePath:   b.DockerfilePath,
		LogsURL:          base + "/_sandbox/builds/" + id + "/logs",
		ContextSizeBytes: b.ContextSize,
		CreatedAt:        timestamp(b.CreatedAt),
		UpdatedAt:        timestamp(b.CreatedAt),
	}
	if st != cloud.BuildStatusPending {
		out.StartedAt = timestamp(b.StartedAt)
		out.UpdatedAt = out.StartedAt
	}
	if st == cloud.BuildStatusSuccess || st == cloud.BuildStatusFailed {
		out.CompletedAt = timestamp(b.CompletedAt)
		out.UpdatedAt = out.CompletedAt
		secs := int64(b.CompletedAt.Sub(b.StartedAt) / time.Second)
		out.BuildDurationSeconds = &secs
	}
	switch st {
	case cloud.BuildStatusSuccess:
		out.ImageURI = imageURI(id, b.Region)
	case cloud.BuildStatusFailed:
		out.ErrorMessage = b.ErrorMessage
	}
	return out
}

// withBuild calls fn, with the state locked, for the build a {buildId}
// path parameter names; it answers 400 for what is no UUID and 404 for an
// unknown build.
func (s *Server) withBuild(res *response, arg string, fn func(id string, b *Build, now time.Time)) {
	if !uuidPattern.MatchString(arg) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid build ID format")
		return
	}
	id := strings.ToLower(arg)
	s.lock(res)
	defer s.mu.Unlock()
	b := s.state.Builds[id]
	if b == nil {
		res.fail(http.StatusNotFound, codeNotFound, "Build not found")
		return
	}
	fn(id, b, s.now())
}

func (s *Server) getBuild(res *response, r *http.Request, arg string) {
	s.withBuild(res, arg, func(id string, b *Build, now time.Time) {
		out := s.renderBuild(id, b, now, baseURL(r))
		res.json(http.StatusOK, cloud.GetBuildResponse{Build: &out})
	})
}

// queryInt reads an integer query parameter between lo and hi, def when
// absent.
func queryInt(r *http.Request, name string, def, lo, hi int) (int, *apiError) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("Invalid %s '%s'. Must be an integer between %d and %d.", name, v, lo, hi)
	}
	return n, nil
}

// getBuildLogs answers the last limit lines written so far. The spec's
// nextToken has no request parameter to send it back with, so none is
// given.
func (s *Server) getBuildLogs(res *response, r *http.Request, arg string) {
	limit, aerr := queryInt(r, "limit", 500, 1, 10000)
	if aerr != nil {
		res.fail(aerr.status, aerr.code, aerr.msg)
		return
	}
	s.withBuild(res, arg, func(_ string, b *Build, now time.Time) {
		logs := b.logsAt(now)
		logs = logs[max(0, len(logs)-limit):]
		res.json(http.StatusOK, cloud.GetBuildLogsResponse{Logs: append([]string{}, logs...)})
	})
}

var buildStatuses = []string{cloud.BuildStatusPending, cloud.BuildStatusBuilding, cloud.BuildStatusSuccess, cloud.BuildStatusFailed, cloud.BuildStatusTimeout}

// listBuilds filters by status, region, contextHash and dockerfilePath
// (which the official deploy action sends for its cache lookup, though the
// spec does not list it), newest first.
func (s *Server) listBuilds(res *response, r *http.Request, _ string) {
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && !slices.Contains(buildStatuses, status) {
		res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Invalid status '%s'. Valid values are: %s.", status, strings.Join(buildStatuses, ", ")))
		return
	}
	limit, aerr := queryInt(r, "limit", 20, 1, 100)
	if aerr == nil {
		var offset int
		if offset, aerr = queryInt(r, "offset", 0, 0, 1<<31-1); aerr == nil {
			s.listBuildsPage(res, r, status, limit, offset)
			return
		}
	}
	res.fail(aerr.status, aerr.code, aerr.msg)
}

func (s *Server) listBuildsPage(res *response, r *http.Request, status string, limit, offset int) {
	q := r.URL.Query()
	s.lock(res)
	defer s.mu.Unlock()
	now := s.now()
	var ids []string
	for id, b := range s.state.Builds {
		if (status == "" || b.status(now) == status) &&
			(q.Get("region") == "" || b.Region == q.Get("region")) &&
			(q.Get("contextHash") == "" || b.ContextHash == q.Get("contextHash")) &&
			(q.Get("dockerfilePath") == "" || b.DockerfilePath == q.Get("dockerfilePath")) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := s.state.Builds[b].CreatedAt.Compare(s.state.Builds[a].CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b, a)
	})
	out := cloud.ListBuildsResponse{Builds: []cloud.Build{}, Total: len(ids), Limit: limit, Offset: offset}
	for _, id := range ids[min(offset, len(ids)):min(offset+limit, len(ids))] {
		out.Builds = append(out.Builds, s.renderBuild(id, s.state.Builds[id], now, baseURL(r)))
	}
	res.json(http.StatusOK, out)
}

// checkBuild checks the build an agent request names: it exists, is in
// the agent's region and has succeeded. s.mu is held.
func (s *Server) checkBuild(id, region string, now time.Time) *apiError {
	b := s.state.Builds[id]
	if b == nil {
		return badRequest("Build not found")
	}
	if b.Region != region {
		return badRequest("Build is in region '%s' but service is in region '%s'. Builds must be in the same region as the service.", b.Region, region)
	}
	if st := b.status(now); st != cloud.BuildStatusSuccess {
		return badRequest("Build is not ready (status: %s). Only successful builds can be deployed.", st)
	}
	return nil
}

// step is one instruction of a Dockerfile, as a build log shows it.
type step struct {
	text string
	fail bool // the line `RUN exit 1`
}

// judge decides a build from its context: the result, the error message
// of a failure, and the Dockerfile's steps (up to the failing one).
func judge(archive io.Reader, dockerfile string) (result, errMsg string, steps []step) {
	const prefix = "Docker build failed: "
	content, err := findFile(archive, dockerfile)
	switch {
	case errors.Is(err, errNoDockerfile):
		return cloud.BuildStatusFailed, prefix + fmt.Sprintf("failed to read dockerfile: open %s: no such file or directory", dockerfile), nil
	case err != nil:
		return cloud.BuildStatusFailed, prefix + "failed to read the build context: " + err.Error(), nil
	}
	steps = dockerfileSteps(content)
	if len(steps) == 0 {
		return cloud.BuildStatusFailed, prefix + "failed to solve: the Dockerfile cannot be empty", nil
	}
	for i, st := range steps {
		if st.fail {
			return cloud.BuildStatusFailed, prefix + `process "/bin/sh -c exit 1" did not complete successfully: exit code: 1`, steps[:i+1]
		}
	}
	return cloud.BuildStatusSuccess, "", steps
}

var errNoDockerfile = errors.New("no Dockerfile")

// findFile returns the content of the regular file name in a gzipped tar.
func findFile(archive io.Reader, name string) ([]byte, error) {
	zr, err := gzip.NewReader(archive)
	if err != nil {
		return nil, errors.New("not a gzipped tar archive")
	}
	want := path.Clean(name)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, errNoDockerfile
		}
		if err != nil {
			return nil, fmt.Errorf("not a gzipped tar archive: %v", err)
		}
		if h.Typeflag == tar.TypeReg && path.Clean(h.Name) == want {
			data, err := io.ReadAll(io.LimitReader(tr, maxDockerfileBytes))
			if err != nil {
				return nil, fmt.Errorf("not a gzipped tar archive: %v", err)
			}
			return data, nil
		}
	}
}

// dockerfileSteps splits a Dockerfile into its instructions: comments and
// blank lines dropped, continued lines joined.
func dockerfileSteps(content []byte) []step {
	var steps []step
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(content))
	sc.Buffer(nil, maxDockerfileBytes)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if more, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(strings.TrimSpace(more) + " ")
			continue
		}
		cur.WriteString(line)
		text := cur.String()
		cur.Reset()
		f := strings.Fields(text)
		steps = append(steps, step{text: text, fail: len(f) == 3 && strings.EqualFold(f[0], "RUN") && f[1] == "exit" && f[2] == "1"})
	}
	if cur.Len() > 0 {
		steps = append(steps, step{text: strings.TrimSpace(cur.String())})
	}
	return steps
}

// buildLogs writes b's log in the style of the API's builder: phases
// around a BuildKit-like step list, each phase line stamped with the time
// it is shown (see lineTime).
func buildLogs(b *Build, steps []step, image string) []string {
	type line struct {
		phase bool // a "[Container] TIME ..." line
		text  string
	}
	var lines []line
	phase := func(text string) { lines = append(lines, line{true, text}) }
	add := func(format string, args ...any) { lines = append(lines, line{false, fmt.Sprintf(format, args...)}) }
	cause := strings.TrimPrefix(b.ErrorMessage, "Docker build failed: ")
	cmd := "docker build -f " + b.DockerfilePath + " ."
	phase("Entering phase BUILD")
	phase("Running command " + cmd)
	add("#1 [internal] load build definition from %s", b.DockerfilePath)
	if steps == nil {
		add("#1 ERROR: %s", cause)
	} else {
		add("#1 transferring dockerfile: done")
	}
	for i, st := range steps {
		add("#%d [%d/%d] %s", i+2, i+1, len(steps), st.text)
		if st.fail {
			add("#%d ERROR: %s", i+2, cause)
		} else {
			add("#%d DONE", i+2)
		}
	}
	if b.Result == cloud.BuildStatusSuccess {
		add("#%d exporting to image", len(steps)+2)
		add("#%d naming to %s done", len(steps)+2, image)
		phase("Phase complete: BUILD State: SUCCEEDED")
	} else {
		phase("Command did not exit successfully " + cmd + " exit status 1")
		phase("Phase complete: BUILD State: FAILED")
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
		if l.phase {
			out[i] = "[Container] " + b.lineTime(i, len(lines)).UTC().Format("2006/01/02 15:04:05.000000") + " " + l.text
		}
	}
	return out
}

// lineTime is when line i of n of the build's log is written: spread
// evenly from StartedAt to CompletedAt.
func (b *Build) lineTime(i, n int) time.Time {
	if n < 2 {
		return b.CompletedAt
	}
	return b.StartedAt.Add(b.CompletedAt.Sub(b.StartedAt) * time.Duration(i) / time.Duration(n-1))
}
