package cloud

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/internal/httpcore"
)

// ErrUnknownOutcome is wrapped by the error of an agent write whose answer
// was lost or was a server error: the API may have carried it out, so it
// was not repeated. Read the agent back to know.
var ErrUnknownOutcome = httpcore.ErrUnknownOutcome

// Error is a non-2xx answer of the API. Code and Message come from the
// API's {"error": ..., "code": ...} body; for any other body, Message is a
// trimmed snippet of it and Code is empty.
type Error struct {
	Method  string
	Path    string // e.g. "/v1/agents/voice-starter"
	Status  int
	Code    string // e.g. "GENERIC_BAD_REQUEST"
	Message string // e.g. "Service already exists"
}

// Error formats as `POST /v1/agents: 400 GENERIC_BAD_REQUEST: Service already exists`.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		b.WriteString(" " + httpcore.OneLine(e.Code))
	} else if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" {
		b.WriteString(": " + httpcore.OneLine(e.Message))
	}
	return b.String()
}

// IsNotFound reports whether err carries an API 404: the agent or secret set
// does not exist (on create, a referenced secret set does not).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// IsAlreadyExists reports whether err is the API's answer to creating an
// agent that exists: 400 "Service already exists". It is what a retried
// create returns when the first attempt's response was lost. 409 (the
// secret set endpoints' conflict status) counts too.
func IsAlreadyExists(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.Status != http.StatusBadRequest && e.Status != http.StatusConflict {
		return false
	}
	return strings.Contains(strings.ToLower(e.Message), "already exists")
}
