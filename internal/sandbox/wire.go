package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// The agent requests as the wire carries them, written from the OpenAPI
// document's CreateServiceRequest and UpdateServiceRequest (wire_test.go
// checks every name against it), never from the client's types: an
// end-to-end test then catches a client that names a field wrongly,
// because the sandbox refuses what the API does not define.

// serviceNamePattern and maxServiceName are CreateServiceRequest's
// serviceName.
var serviceNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])$`)

const maxServiceName = 54

func validServiceName(name string) bool {
	return len(name) <= maxServiceName && serviceNamePattern.MatchString(name)
}

// errUnknownField is a request field the API does not define.
type errUnknownField struct{ name string }

func (e errUnknownField) Error() string { return "unknown field " + e.name }

// decodeStrict decodes a JSON object body into v, refusing fields v does
// not have. It returns nil, an errUnknownField, or another error for a
// body that is no JSON object of the right types.
func decodeStrict(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(data) > maxBody {
		return errors.New("body too large or unreadable")
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	// encoding/json says `json: unknown field "x"`; no typed error exists.
	if err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return errUnknownField{name}
		}
	}
	return err
}

// decodeAgentRequest decodes a create or update body, or returns the 400
// the API answers.
func decodeAgentRequest(r *http.Request) (agentRequest, *apiError) {
	var req agentRequest
	err := decodeStrict(r, &req)
	var u errUnknownField
	switch {
	case errors.As(err, &u):
		return req, badRequest("Invalid request format: unknown field %s.", u.name)
	case err != nil:
		return req, badRequest("Invalid request format")
	}
	return req, nil
}
