package plan

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// fakeReader answers Refresh's calls from maps; a name in fail answers
// that error, a name in gone answers 404 (deleted after the list).
type fakeReader struct {
	agents  []string
	fail    map[string]error
	gone    map[string]bool
	listErr error
	// propsErr fails GET /v1/properties.
	propsErr error
	// onGet runs before each detail read (to cancel mid-refresh).
	onGet func(name string)

	mu    sync.Mutex
	reads []string
}

func (f *fakeReader) ListAgents(context.Context) ([]cloud.ServiceListItem, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []cloud.ServiceListItem
	for _, n := range f.agents {
		out = append(out, cloud.ServiceListItem{Name: n, Region: "us-west"})
	}
	return out, nil
}

func (f *fakeReader) GetAgent(ctx context.Context, name string) (*cloud.ServiceDetails, error) {
	if f.onGet != nil {
		f.onGet(name)
	}
	f.mu.Lock()
	f.reads = append(f.reads, name)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.gone[name] {
		return nil, &cloud.Error{Method: "GET", Path: "/v1/agents/" + name, Status: http.StatusNotFound, Message: "Service not found"}
	}
	if err := f.fail[name]; err != nil {
		return nil, err
	}
	return liveAgent(name, fullLive("x:1")), nil
}

func (f *fakeReader) ListSecretSets(context.Context) ([]cloud.SecretSetSummary, error) {
	return nil, errors.New("secrets down")
}

func (f *fakeReader) GetSecretSet(context.Context, string) (*cloud.SecretSetDetails, error) {
	return nil, errors.New("secrets down")
}

func (f *fakeReader) ListRegions(context.Context) ([]cloud.Region, error) {
	return []cloud.Region{{Code: "us-west"}}, nil
}

func TestRefresh(t *testing.T) {
	boom := &cloud.Error{Method: "GET", Path: "/v1/agents/b", Status: 500, Code: "INTERNAL_SERVER_ERROR", Message: "boom"}
	tests := []struct {
		name        string
		reader      *fakeReader
		opts        RefreshOptions
		wantAgents  []string // live agents after refresh
		wantDetails []string // agents whose details were read
		wantErr     string
	}{
		{
			name:        "reads only the named agents",
			reader:      &fakeReader{agents: []string{"a", "b", "c"}},
			opts:        RefreshOptions{Names: []string{"a", "c", "not-live"}},
			wantAgents:  []string{"a", "b", "c"},
			wantDetails: []string{"a", "c"},
		},
		{
			name:        "all details for prune",
			reader:      &fakeReader{agents: []string{"a", "b"}},
			opts:        RefreshOptions{AllDetails: true},
			wantAgents:  []string{"a", "b"},
			wantDetails: []string{"a", "b"},
		},
		{
			name:        "an agent deleted between list and read is not live",
			reader:      &fakeReader{agents: []string{"a", "b"}, gone: map[string]bool{"b": true}},
			opts:        RefreshOptions{Names: []string{"a", "b"}},
			wantAgents:  []string{"a"},
			wantDetails: []string{"a"},
		},
		{
			name:    "a failed read fails the refresh, naming the agent",
			reader:  &fakeReader{agents: []string{"a", "b"}, fail: map[string]error{"b": boom}},
			opts:    RefreshOptions{Names: []string{"a", "b"}},
			wantErr: "read agent b: GET /v1/agents/b: 500 INTERNAL_SERVER_ERROR: boom",
		},
		{
			name:    "every failed read is reported",
			reader:  &fakeReader{agents: []string{"a", "b"}, fail: map[string]error{"a": errors.New("reset"), "b": errors.New("timeout")}},
			opts:    RefreshOptions{Names: []string{"a", "b"}},
			wantErr: "read agent a: reset\nread agent b: timeout",
		},
		{
			name:    "a failed list fails the refresh",
			reader:  &fakeReader{listErr: errors.New("connection refused")},
			opts:    RefreshOptions{Names: []string{"a"}, Preflight: true},
			wantErr: "list agents: connection refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, err := Refresh(context.Background(), tt.reader, tt.opts)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var agents, details []string
			for _, a := range live.Agents {
				agents = append(agents, a.Name)
			}
			for _, n := range tt.wantDetails {
				if live.Details[n] == nil {
					t.Errorf("no details for %s", n)
				}
			}
			for n := range live.Details {
				details = append(details, n)
			}
			if diff := cmp.Diff(tt.wantAgents, agents); diff != "" {
				t.Errorf("live agents (-want +got):\n%s", diff)
			}
			if len(details) != len(tt.wantDetails) {
				t.Errorf("details read for %v, want %v", details, tt.wantDetails)
			}
		})
	}
}

// TestRefreshPreflightFailureIsRecorded: a failed secrets list is kept for
// the plan's warning, not an error of the refresh.
func TestRefreshPreflightFailureIsRecorded(t *testing.T) {
	live, err := Refresh(context.Background(), &fakeReader{agents: []string{"a"}}, RefreshOptions{Names: []string{"a"}, Preflight: true})
	if err != nil {
		t.Fatal(err)
	}
	if live.SecretsErr == nil || live.RegionsErr != nil || len(live.Regions) != 1 {
		t.Errorf("secrets err %v, regions err %v, regions %v", live.SecretsErr, live.RegionsErr, live.Regions)
	}
}

// TestRefreshCancelled: Ctrl-C during the reads stops the refresh with the
// context's error, and agents not yet started are not read.
func TestRefreshCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var names []string
	for i := range 50 {
		names = append(names, "agent-"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	r := &fakeReader{agents: names}
	r.onGet = func(string) { cancel() } // the first read cancels
	_, err := Refresh(ctx, r, RefreshOptions{Names: names, Parallelism: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	// One line, not one per agent left unread (Ctrl-C during a refresh
	// of 600 agents printed 590 lines).
	if err.Error() != "read agents: context canceled" {
		t.Errorf("error %q, want the one line \"read agents: context canceled\"", err)
	}
	if len(r.reads) >= len(names) {
		t.Errorf("%d of %d agents read after cancel; want the rest skipped", len(r.reads), len(names))
	}
}

// TestRefreshProgress: the callback counts the detail reads Refresh will
// make (named agents that are live, or every live agent), from 0 once the
// list is read up to the total.
func TestRefreshProgress(t *testing.T) {
	tests := []struct {
		name string
		opts RefreshOptions
		want [][2]int
	}{
		{"named agents that are live", RefreshOptions{Names: []string{"a", "c", "not-live"}}, [][2]int{{0, 2}, {1, 2}, {2, 2}}},
		{"every live agent", RefreshOptions{AllDetails: true}, [][2]int{{0, 3}, {1, 3}, {2, 3}, {3, 3}}},
		{"nothing to read", RefreshOptions{Names: []string{"not-live"}}, [][2]int{{0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][2]int
			tt.opts.Parallelism = 4
			tt.opts.Progress = func(done, total int) { got = append(got, [2]int{done, total}) }
			if _, err := Refresh(context.Background(), &fakeReader{agents: []string{"a", "b", "c"}}, tt.opts); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("progress calls (-want +got):\n%s", diff)
			}
		})
	}
}

func (f *fakeReader) GetProperties(context.Context) (*cloud.OrganizationProperties, error) {
	if f.propsErr != nil {
		return nil, f.propsErr
	}
	return &cloud.OrganizationProperties{DefaultRegion: "eu-central"}, nil
}

// TestRefreshProperties: the default region is read with preflight; its
// failure is recorded for a warning, or, when the config manages the
// properties, is an error.
func TestRefreshProperties(t *testing.T) {
	ctx := context.Background()
	live, err := Refresh(ctx, &fakeReader{agents: []string{"a"}}, RefreshOptions{Preflight: true})
	if err != nil || live.DefaultRegion != "eu-central" || live.PropertiesErr != nil {
		t.Errorf("read: %v, %q, %v", err, live.DefaultRegion, live.PropertiesErr)
	}
	live, err = Refresh(ctx, &fakeReader{agents: []string{"a"}}, RefreshOptions{})
	if err != nil || live.DefaultRegion != "" {
		t.Errorf("read without preflight: %v, %q", err, live.DefaultRegion)
	}
	down := errors.New("properties down")
	live, err = Refresh(ctx, &fakeReader{agents: []string{"a"}, propsErr: down}, RefreshOptions{Preflight: true})
	if err != nil || !errors.Is(live.PropertiesErr, down) {
		t.Errorf("failed read: %v, %v", err, live.PropertiesErr)
	}
	_, err = Refresh(ctx, &fakeReader{agents: []string{"a"}, propsErr: down}, RefreshOptions{Preflight: true, NeedProperties: true})
	if err == nil || err.Error() != "read organization properties: properties down" {
		t.Errorf("failed read when needed: %v", err)
	}
}
