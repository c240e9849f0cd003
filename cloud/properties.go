package cloud

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
)

// OrganizationProperties are the organization's configurable properties
// (GET /v1/properties).
type OrganizationProperties struct {
	// DefaultRegion is where the API puts an agent, secret set or build
	// that names no region.
	DefaultRegion string `json:"defaultRegion,omitempty"`
}

// PropertiesResponse is the body of GET /v1/properties.
type PropertiesResponse struct {
	Properties OrganizationProperties `json:"properties"`
}

// UpdatePropertiesRequest is the body of PATCH /v1/properties; nil fields
// are left as they are.
type UpdatePropertiesRequest struct {
	DefaultRegion *string `json:"defaultRegion,omitempty"`
}

// PropertySchema is one property of the PATCH /v1/properties answer.
type PropertySchema struct {
	Type            string `json:"type"`
	Description     string `json:"description"`
	Default         any    `json:"default"`
	CurrentValue    any    `json:"currentValue"`
	ReadOnly        bool   `json:"readOnly"`
	AvailableValues []any  `json:"availableValues,omitempty"`
}

// PropertiesSchemaResponse is the body of a successful PATCH
// /v1/properties: every property with its metadata.
type PropertiesSchemaResponse struct {
	Properties map[string]PropertySchema `json:"properties"`
}

// GetProperties reads the organization's properties.
func (c *Client) GetProperties(ctx context.Context) (*OrganizationProperties, error) {
	var out PropertiesResponse
	if err := c.do(ctx, http.MethodGet, "/v1/properties", nil, &out); err != nil {
		return nil, err
	}
	return &out.Properties, nil
}

// UpdateProperties changes the properties req sets.
func (c *Client) UpdateProperties(ctx context.Context, req *UpdatePropertiesRequest) (*PropertiesSchemaResponse, error) {
	if req == nil || req.DefaultRegion == nil {
		return nil, errors.New("update properties: no property to change")
	}
	var out PropertiesSchemaResponse
	if err := c.do(ctx, http.MethodPatch, "/v1/properties", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// LogEntry is one line of GET /v1/agents/{name}/logs.
type LogEntry struct {
	Log          string  `json:"log"`
	Timestamp    string  `json:"timestamp,omitempty"`
	DeploymentID *string `json:"deploymentId,omitempty"`
}

// LogTotal is the total of GET /v1/agents/{name}/logs.
type LogTotal struct {
	Value    int    `json:"value"`
	Relation string `json:"relation,omitempty"`
}

// AgentLogsResponse is the body of GET /v1/agents/{name}/logs.
type AgentLogsResponse struct {
	Total *LogTotal  `json:"total,omitempty"`
	Logs  []LogEntry `json:"logs"`
}

// LogQuery filters GET /v1/agents/{name}/logs. Zero values are not sent.
type LogQuery struct {
	Limit        int
	DeploymentID string
}

// AgentLogs reads the newest lines of an agent's log, newest first (the
// API's default order), scoped to a deployment when q names one.
func (c *Client) AgentLogs(ctx context.Context, name string, q LogQuery) ([]LogEntry, error) {
	p, err := segmentPath("/v1/agents/", name)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.DeploymentID != "" {
		v.Set("deploymentId", q.DeploymentID)
	}
	p += "/logs"
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	var out AgentLogsResponse
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return out.Logs, nil
}
