package cloud

// The build API: an upload URL, the upload of a context to it, the build,
// its status and logs, and the list that serves as the build cache.

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/internal/httpcore"
)

// uploadTimeout bounds one attempt of an upload: a context of up to 500
// MB may take long, and the spec says an upload URL lasts 15 minutes.
const uploadTimeout = 15 * time.Minute

// UploadURL asks where to upload a build context for region
// (POST /v1/builds/upload-url). An answer without an upload ID or URL is
// an error.
func (c *Client) UploadURL(ctx context.Context, region string) (*UploadURLResponse, error) {
	const p = "/v1/builds/upload-url"
	var out UploadURLResponse
	// Asking again after a lost answer costs an unused URL, not a build.
	if err := c.do(ctx, http.MethodPost, p, &UploadURLRequest{Region: region}, &out, idempotent(true)); err != nil {
		return nil, err
	}
	if out.UploadID == "" || out.UploadURL == "" {
		return nil, malformed(http.MethodPost, p, "the answer has no uploadId or uploadUrl")
	}
	return &out, nil
}

// UploadBody is a build context to upload, read anew from Open on each
// attempt: Size bytes of gzipped tar.
type UploadBody struct {
	Open func() (io.ReadCloser, error)
	Size int64
}

// UploadBytes is an UploadBody held in memory.
func UploadBytes(data []byte) UploadBody {
	return UploadBody{Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, Size: int64(len(data))}
}

// Upload sends a build context (the gzipped tar) where u says: a multipart
// form POST with every field of u.UploadFields first, by name, then
// Content-Type application/gzip when the fields lack it (the official
// deploy action adds it so), and the archive last as "file". The archive
// is streamed from body.Open, with a Content-Length (S3's POST refuses a
// chunked body), so memory does not grow with it. The upload URL is
// another host than the API in production (a storage bucket), so the API
// key is never sent there; like the API's, it must be https, or plain http
// to a loopback host. An attempt may take up to 15 minutes (the URL's
// lifetime); a failed one is retried like any call, since a repeated
// upload replaces the same object. Errors are *Error with the storage's
// code and message (S3's XML), and name the URL without its query.
func (c *Client) Upload(ctx context.Context, u *UploadURLResponse, body UploadBody) error {
	target, shown, err := uploadTarget(u.UploadURL)
	if err != nil {
		return err
	}
	if body.Open == nil {
		return errors.New("upload: no archive")
	}
	// The form around the file, written once: the fields and the file's
	// part header before it, the closing boundary after.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range slices.Sorted(maps.Keys(u.UploadFields)) {
		if err := mw.WriteField(k, u.UploadFields[k]); err != nil {
			return err
		}
	}
	if _, ok := u.UploadFields["Content-Type"]; !ok {
		if err := mw.WriteField("Content-Type", "application/gzip"); err != nil {
			return err
		}
	}
	if _, err := mw.CreateFormFile("file", "context.tar.gz"); err != nil {
		return err
	}
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := mw.Close(); err != nil {
		return err
	}
	tail := bytes.Clone(buf.Bytes())
	req := &httpcore.Request{Method: http.MethodPost, URL: target, Path: shown, Header: http.Header{},
		Idempotent: true,
		StreamLen:  int64(len(head)) + body.Size + int64(len(tail)),
		Stream: func() (io.ReadCloser, error) {
			f, err := body.Open()
			if err != nil {
				return nil, err
			}
			r := io.MultiReader(bytes.NewReader(head), io.LimitReader(f, body.Size), bytes.NewReader(tail))
			return struct {
				io.Reader
				io.Closer
			}{r, f}, nil
		}}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("User-Agent", c.userAgent)
	_, err = c.upload.Do(ctx, req)
	return err
}

// uploadTarget checks an upload URL: https, or plain http to a loopback
// host, no user info. shown is the URL without its query, for messages.
func uploadTarget(raw string) (target, shown string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("upload URL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		return "", "", errors.New("upload URL: not an absolute http(s) URL")
	case u.User != nil:
		return "", "", errors.New("upload URL: must not contain credentials")
	case u.Scheme == "http" && !httpcore.IsLoopback(u.Hostname()):
		return "", "", fmt.Errorf("upload URL %s://%s%s: plain http is allowed only for a loopback host; the API must give https", u.Scheme, u.Host, u.EscapedPath())
	}
	return u.String(), u.Scheme + "://" + u.Host + u.EscapedPath(), nil
}

// classifyUpload reads a storage error (S3's XML <Error>), retried on 429
// and the 5xx statuses that mean "try again" (S3's SlowDown is a 503).
func (c *Client) classifyUpload(req *httpcore.Request, resp *httpcore.Response) httpcore.Verdict {
	e := &Error{Method: req.Method, Path: req.Path, Status: resp.Status}
	body := resp.Body
	var x struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if xml.Unmarshal(body, &x) == nil && (x.Code != "" || x.Message != "") {
		e.Code, e.Message = x.Code, x.Message
	} else {
		e.Message = snippet(body)
	}
	return httpcore.Verdict{Err: e, Wait: -1, Retry: retryable(resp.Status), RateLimited: resp.Status == http.StatusTooManyRequests}
}

// CreateBuild starts a build of an uploaded context (POST /v1/builds). The
// answer's Cached says it is an earlier successful build of the same
// context, Dockerfile and region. An answer without a build is an error.
// A lost answer is not retried (ErrUnknownOutcome): look the build up by
// its context hash (ListBuilds) before starting another.
func (c *Client) CreateBuild(ctx context.Context, req *CreateBuildRequest) (*CreateBuildResponse, error) {
	if req == nil {
		return nil, errors.New("create build: nil request")
	}
	const p = "/v1/builds"
	var out CreateBuildResponse
	if err := c.do(ctx, http.MethodPost, p, req, &out); err != nil {
		return nil, err
	}
	if out.Build == nil || out.Build.ID == "" {
		return nil, malformed(http.MethodPost, p, "the answer has no build")
	}
	return &out, nil
}

// GetBuild reads one build (GET /v1/builds/{id}).
func (c *Client) GetBuild(ctx context.Context, id string) (*Build, error) {
	p, err := segmentPath("/v1/builds/", id)
	if err != nil {
		return nil, err
	}
	var out GetBuildResponse
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	if out.Build == nil || out.Build.ID == "" {
		return nil, malformed(http.MethodGet, p, "the answer has no build")
	}
	return out.Build, nil
}

// GetBuildLogs reads the last limit lines (1 to 10,000) of a build's log
// (GET /v1/builds/{id}/logs).
func (c *Client) GetBuildLogs(ctx context.Context, id string, limit int) ([]string, error) {
	p, err := segmentPath("/v1/builds/", id)
	if err != nil {
		return nil, err
	}
	p += "/logs?limit=" + strconv.Itoa(limit)
	var out GetBuildLogsResponse
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return out.Logs, nil
}

// ListBuilds lists the organization's builds, newest first, filtered by q
// (GET /v1/builds). With ContextHash, DockerfilePath, Region, Status
// success and Limit 1 it is the build cache lookup.
func (c *Client) ListBuilds(ctx context.Context, q BuildQuery) ([]Build, error) {
	v := url.Values{}
	for k, s := range map[string]string{"contextHash": q.ContextHash, "dockerfilePath": q.DockerfilePath, "region": q.Region, "status": q.Status} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	p := "/v1/builds"
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return list[Build](ctx, c, p, "builds")
}

// BuildFinal reports whether a build status is final (success, failed or
// timeout).
func BuildFinal(status string) bool {
	switch strings.ToLower(status) {
	case BuildStatusSuccess, BuildStatusFailed, BuildStatusTimeout:
		return true
	}
	return false
}
