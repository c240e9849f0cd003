package sandbox

// The sandbox's stand-in for the storage bucket that build contexts are
// uploaded to, at /_sandbox/upload, and for the console page a build's
// logsUrl points at, at /_sandbox/builds/{id}/logs. Neither is part of
// the API: no key is needed (an upload is authorized by its signed
// policy), no fault knob applies, and errors are S3's XML, not the API's
// JSON.
//
// An upload URL comes with S3-style presigned POST fields: the object
// key, a base64 JSON policy (expiry, the key, the content type, the size
// range) and a signature, an HMAC-SHA256 of the policy under the state's
// UploadKey. The upload is a multipart form with those fields first and
// the file last, named "file"; a bad signature, an expired policy, a
// field the policy does not cover or a file outside the size range is
// refused as S3 refuses it, and nothing is stored.

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	uploadPath   = "/_sandbox/upload"
	uploadBucket = "sandbox-build-context"
	// maxPreDataBytes is S3's limit on the form fields before the file.
	maxPreDataBytes = 20 << 10
	// uploadReadTimeout replaces the server's ReadTimeout for an upload,
	// which may be large: the upload URL's lifetime.
	uploadReadTimeout = uploadURLLifetime
)

// uploadKeyName is the object key of an upload.
func uploadKeyName(id string) string { return namespace + "/" + id + ".tar.gz" }

func newUploadKey() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) maxUpload() int64 {
	if s.opts.MaxUploadBytes > 0 {
		return s.opts.MaxUploadBytes
	}
	return defaultMaxUploadBytes
}

// sign is the signature of a base64 policy. s.mu is held.
func (s *Server) sign(policy string) string {
	m := hmac.New(sha256.New, []byte(s.state.UploadKey))
	m.Write([]byte(policy))
	return hex.EncodeToString(m.Sum(nil))
}

// uploadFields are the form fields of upload id. s.mu is held.
func (s *Server) uploadFields(id string, expires time.Time) map[string]string {
	fields := map[string]string{
		"bucket":       uploadBucket,
		"key":          uploadKeyName(id),
		"Content-Type": "application/gzip",
	}
	policy := map[string]any{
		"expiration": timestamp(expires),
		"conditions": []any{
			map[string]string{"bucket": uploadBucket},
			map[string]string{"key": fields["key"]},
			map[string]string{"Content-Type": fields["Content-Type"]},
			[]any{"content-length-range", 1, s.maxUpload()},
		},
	}
	fields["Policy"] = base64.StdEncoding.EncodeToString(mustMarshal(policy))
	fields["X-Amz-Signature"] = s.sign(fields["Policy"])
	return fields
}

// s3Error is an error answer of the upload endpoint.
type s3Error struct {
	status int
	code   string
	msg    string
}

func (e *s3Error) write(w http.ResponseWriter) {
	var msg bytes.Buffer
	xml.EscapeText(&msg, []byte(e.msg))
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", e.code, msg.String())
}

func missingField(name string) *s3Error {
	return &s3Error{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name)}
}

func policyFailed(format string, args ...any) *s3Error {
	return &s3Error{http.StatusForbidden, "AccessDenied", "Invalid according to Policy: " + fmt.Sprintf(format, args...)}
}

// serveSandbox serves the paths under /_sandbox/.
func (s *Server) serveSandbox(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := http.StatusNotFound
	defer func() { s.record(r, status, start, "") }()
	switch {
	case r.URL.Path == uploadPath:
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			status = http.StatusMethodNotAllowed
			(&s3Error{status, "MethodNotAllowed", "The specified method is not allowed against this resource."}).write(w)
			return
		}
		// An upload may take longer than the server's ReadTimeout.
		http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout))
		if err := s.upload(w, r); err != nil {
			status = err.status
			err.write(w)
			return
		}
		status = http.StatusNoContent
	case strings.HasPrefix(r.URL.Path, "/_sandbox/builds/") && strings.HasSuffix(r.URL.Path, "/logs") && r.Method == http.MethodGet:
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_sandbox/builds/"), "/logs")
		s.mu.Lock()
		b := s.state.Builds[strings.ToLower(id)]
		var logs []string
		if b != nil {
			logs = b.logsAt(s.now())
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if b == nil {
			w.WriteHeader(status)
			io.WriteString(w, "build not found\n")
			return
		}
		status = http.StatusOK
		for _, l := range logs {
			io.WriteString(w, l+"\n")
		}
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, "not found\n")
	}
}

// upload receives one build context and answers 204 once it is stored
// and recorded durably.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) *s3Error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return &s3Error{http.StatusPreconditionFailed, "PreconditionFailed", "Bucket POST must be of the enclosure-type multipart/form-data"}
	}
	malformed := &s3Error{http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."}
	mr := multipart.NewReader(r.Body, params["boundary"])
	fields := map[string]string{} // lower-case name: value
	budget := int64(maxPreDataBytes)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return &s3Error{http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request."}
		}
		if err != nil {
			return malformed
		}
		if p.FormName() == "file" {
			// Fields after the file are ignored, as S3 does.
			return s.receive(w, p, fields)
		}
		v, err := io.ReadAll(io.LimitReader(p, budget+1))
		if err != nil {
			return malformed
		}
		if budget -= int64(len(v)); budget < 0 {
			return &s3Error{http.StatusBadRequest, "MaxPostPreDataLengthExceeded", "Your POST request fields preceding the upload file were too large."}
		}
		fields[strings.ToLower(p.FormName())] = string(v)
	}
}

// policy is what checkPolicy found in a valid, signed, unexpired policy.
type policy struct {
	uploadID         string
	minSize, maxSize int64
}

// checkPolicy checks the form fields against their signed policy.
func (s *Server) checkPolicy(fields map[string]string) (*policy, *s3Error) {
	for _, f := range []string{"key", "Policy", "X-Amz-Signature"} {
		if fields[strings.ToLower(f)] == "" {
			return nil, missingField(f)
		}
	}
	s.mu.Lock()
	want, now := s.sign(fields["policy"]), s.now()
	s.mu.Unlock()
	if !hmac.Equal([]byte(want), []byte(fields["x-amz-signature"])) {
		return nil, &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	// Signed by the sandbox, so well-formed.
	var doc struct {
		Expiration time.Time         `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	raw, _ := base64.StdEncoding.DecodeString(fields["policy"])
	json.Unmarshal(raw, &doc)
	if !now.Before(doc.Expiration) {
		return nil, policyFailed("Policy expired.")
	}
	pol := &policy{}
	covered := map[string]bool{"policy": true, "x-amz-signature": true}
	for _, c := range doc.Conditions {
		var eq map[string]string
		if json.Unmarshal(c, &eq) == nil {
			for k, v := range eq {
				covered[strings.ToLower(k)] = true
				if fields[strings.ToLower(k)] != v {
					return nil, policyFailed(`Policy Condition failed: ["eq", "$%s", "%s"]`, k, v)
				}
			}
			continue
		}
		var rng []any
		json.Unmarshal(c, &rng)
		if len(rng) == 3 && rng[0] == "content-length-range" {
			pol.minSize, pol.maxSize = int64(rng[1].(float64)), int64(rng[2].(float64))
		}
	}
	for k := range fields {
		if !covered[k] {
			return nil, policyFailed("Extra input fields: %s", k)
		}
	}
	pol.uploadID = strings.TrimSuffix(strings.TrimPrefix(fields["key"], namespace+"/"), ".tar.gz")
	return pol, nil
}

// receive checks the policy, stores the file and records the upload.
func (s *Server) receive(w http.ResponseWriter, file io.Reader, fields map[string]string) *s3Error {
	pol, serr := s.checkPolicy(fields)
	if serr != nil {
		return serr
	}
	sum := md5.New()
	blob, err := s.newBlob()
	if err != nil {
		return s.storageError(err)
	}
	defer blob.discard()
	n, err := io.Copy(io.MultiWriter(blob, sum), io.LimitReader(file, pol.maxSize+1))
	switch {
	case err != nil:
		return &s3Error{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	case n > pol.maxSize:
		return &s3Error{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"}
	case n < pol.minSize:
		return &s3Error{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"}
	}
	md5hex := hex.EncodeToString(sum.Sum(nil))
	hash := md5hex[:16]
	if err := blob.keep(s, pol.uploadID, hash); err != nil {
		return s.storageError(err)
	}

	s.mu.Lock()
	u := s.state.Uploads[pol.uploadID]
	if u == nil {
		s.mu.Unlock()
		return &s3Error{http.StatusForbidden, "AccessDenied", "Access Denied"}
	}
	n2 := *u
	n2.Size, n2.ContextHash = n, hash
	e := put(s, uploadsTable, pol.uploadID, &n2)
	s.mu.Unlock()
	if err := s.wait(e); err != nil {
		return s.storageError(err)
	}
	w.Header().Set("ETag", `"`+md5hex+`"`)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) storageError(err error) *s3Error {
	if s.opts.Logf != nil {
		s.opts.Logf("upload: %v", err)
	}
	return &s3Error{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."}
}

// Uploaded contexts are kept beside the state file, in FILE.uploads/, or
// in memory without one, under their upload ID and hash, so that a build
// reads the bytes its hash was taken from even if the upload is replaced.

func (s *Server) blobDir() string { return s.opts.StatePath + ".uploads" }

func blobName(id, hash string) string { return id + "-" + hash + ".tar.gz" }

// blob is an upload being received.
type blob struct {
	f   *os.File      // with a state file
	buf *bytes.Buffer // without
}

func (s *Server) newBlob() (*blob, error) {
	if s.opts.StatePath == "" {
		return &blob{buf: &bytes.Buffer{}}, nil
	}
	if err := os.MkdirAll(s.blobDir(), 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.blobDir(), ".upload-*")
	if err != nil {
		return nil, err
	}
	return &blob{f: f}, nil
}

func (b *blob) Write(p []byte) (int, error) {
	if b.f != nil {
		return b.f.Write(p)
	}
	return b.buf.Write(p)
}

// keep stores the blob under its name, durably.
func (b *blob) keep(s *Server, id, hash string) error {
	if b.f == nil {
		s.blobMu.Lock()
		s.blobs[blobName(id, hash)] = b.buf.Bytes()
		s.blobMu.Unlock()
		return nil
	}
	err := b.f.Sync()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(b.f.Name(), filepath.Join(s.blobDir(), blobName(id, hash)))
	}
	if err == nil {
		err = syncDir(b.f.Name())
	}
	if err == nil {
		b.f = nil
	}
	return err
}

// discard removes a blob that was not kept.
func (b *blob) discard() {
	if b.f != nil {
		b.f.Close()
		os.Remove(b.f.Name())
	}
}

// openBlob opens the context uploaded to id with hash.
func (s *Server) openBlob(id, hash string) (io.ReadCloser, error) {
	if s.opts.StatePath == "" {
		s.blobMu.Lock()
		data, ok := s.blobs[blobName(id, hash)]
		s.blobMu.Unlock()
		if !ok {
			return nil, errors.New("uploaded context not found")
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	f, err := os.Open(filepath.Join(s.blobDir(), blobName(id, hash)))
	if err != nil {
		return nil, fmt.Errorf("read uploaded context: %w", err)
	}
	return f, nil
}

// UploadedContexts returns every context uploaded so far, by upload ID,
// for tests that check what a client sent.
func (s *Server) UploadedContexts() (map[string][]byte, error) {
	s.mu.Lock()
	uploads := map[string]string{}
	for id, u := range s.state.Uploads {
		if u.ContextHash != "" {
			uploads[id] = u.ContextHash
		}
	}
	s.mu.Unlock()
	out := map[string][]byte{}
	for id, hash := range uploads {
		r, err := s.openBlob(id, hash)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, err
		}
		out[id] = data
	}
	return out, nil
}
