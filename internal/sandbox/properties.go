package sandbox

// Organization properties: GET and PATCH /v1/properties (and GET
// /v1/properties/schema). The one property the spec documents,
// defaultRegion, is where an agent, secret set or build that names no
// region goes; it is kept in the state (and its file).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// propertyKind names the journal records of a property change.
const propertyKind = "property"

// platformDefaultRegion is the spec's default of defaultRegion, the
// region of a state that never set one.
const platformDefaultRegion = "us-west"

// orgDefaultRegion is where a request that names no region goes. s.mu is
// held.
func (s *Server) orgDefaultRegion() string {
	if s.state.DefaultRegion != "" {
		return s.state.DefaultRegion
	}
	if !s.regionKnown(platformDefaultRegion) {
		return s.regions[0].Code
	}
	return platformDefaultRegion
}

// DefaultRegion reports the organization's default region.
func (s *Server) DefaultRegion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orgDefaultRegion()
}

// setDefaultRegion changes the property and journals it. s.mu is held.
func (s *Server) setDefaultRegion(region string) *entry {
	prev := s.state.DefaultRegion
	s.state.DefaultRegion = region
	return s.commit(record{Op: "put", Kind: propertyKind, Name: "defaultRegion", Value: mustMarshal(region)},
		func() { s.state.DefaultRegion = prev })
}

// replayProperty applies a property record to st.
func replayProperty(st *State, rec record) error {
	if rec.Name != "defaultRegion" || rec.Op != "put" {
		return fmt.Errorf("unknown property record %s %q", rec.Op, rec.Name)
	}
	return json.Unmarshal(rec.Value, &st.DefaultRegion)
}

func (s *Server) getProperties(res *response, _ *http.Request, _ string) {
	s.lock(res)
	defer s.mu.Unlock()
	res.json(http.StatusOK, cloud.PropertiesResponse{Properties: cloud.OrganizationProperties{DefaultRegion: s.orgDefaultRegion()}})
}

func (s *Server) getPropertiesSchema(res *response, _ *http.Request, _ string) {
	s.lock(res)
	defer s.mu.Unlock()
	res.json(http.StatusOK, s.propertiesSchema())
}

// propertiesSchema is every property with its metadata. s.mu is held.
func (s *Server) propertiesSchema() cloud.PropertiesSchemaResponse {
	codes := make([]any, len(s.regions))
	for i, r := range s.regions {
		codes[i] = r.Code
	}
	return cloud.PropertiesSchemaResponse{Properties: map[string]cloud.PropertySchema{
		"defaultRegion": {
			Type: "string", Description: "Default region for new service deployments",
			Default: platformDefaultRegion, CurrentValue: s.orgDefaultRegion(), AvailableValues: codes,
		},
	}}
}

func (s *Server) patchProperties(res *response, r *http.Request, _ string) {
	var req map[string]json.RawMessage
	if !decodeBody(r, &req) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid request format")
		return
	}
	if len(req) == 0 {
		res.fail(http.StatusBadRequest, codeBadRequest, "No properties provided")
		return
	}
	names := make([]string, 0, len(req))
	for name := range req {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name != "defaultRegion" {
			res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Property '%s' is not a valid property", name))
			return
		}
	}
	var region string
	if err := json.Unmarshal(req["defaultRegion"], &region); err != nil {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid request format")
		return
	}
	if !s.regionKnown(region) {
		res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Region '%s' is not available. Available regions: %s", region, s.regionList()))
		return
	}
	s.lock(res)
	defer s.mu.Unlock()
	if region != s.state.DefaultRegion {
		res.after = s.setDefaultRegion(region)
	}
	res.json(http.StatusOK, s.propertiesSchema())
}
