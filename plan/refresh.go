package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// Reader is the part of the API client Refresh needs.
type Reader interface {
	ListAgents(ctx context.Context) ([]cloud.ServiceListItem, error)
	GetAgent(ctx context.Context, name string) (*cloud.ServiceDetails, error)
	ListSecretSets(ctx context.Context) ([]cloud.SecretSetSummary, error)
	ListRegions(ctx context.Context) ([]cloud.Region, error)
}

// RefreshOptions says what to read.
type RefreshOptions struct {
	// Names are the agents whose details are read when they are live
	// (the declared agents, or every agent of a saved plan).
	Names []string
	// AllDetails reads the details of every live agent (prune needs them
	// to fingerprint the agents it deletes).
	AllDetails bool
	// Preflight also lists secret sets and regions.
	Preflight bool
	// Parallelism bounds the requests in flight; < 1 means 8.
	Parallelism int
	// Filter, when set, limits the details read (Names and AllDetails
	// alike) to the agents it accepts: a targeted plan reads no others.
	Filter func(name string) bool
	// Progress, when set, is called with the detail reads done and to do:
	// once when the list is read (0 done), then after every read. Calls
	// are serialized.
	Progress func(done, total int)
}

// Refresh reads the live state: the only I/O of planning. Agent reads must
// succeed; the preflight reads may fail, which Live records so the plan can
// warn and go on.
func Refresh(ctx context.Context, api Reader, o RefreshOptions) (*Live, error) {
	n := o.Parallelism
	if n < 1 {
		n = 8
	}
	live := &Live{Details: map[string]*cloud.ServiceDetails{}}
	var wg sync.WaitGroup
	if o.Preflight {
		wg.Go(func() { live.Secrets, live.SecretsErr = api.ListSecretSets(ctx) })
		wg.Go(func() { live.Regions, live.RegionsErr = api.ListRegions(ctx) })
	}
	agents, err := api.ListAgents(ctx)
	if err != nil {
		wg.Wait()
		return nil, fmt.Errorf("list agents: %w", err)
	}
	want := make(map[string]bool, len(o.Names))
	for _, name := range o.Names {
		want[name] = true
	}
	var (
		mu    sync.Mutex
		errs  []error
		gone  = map[string]bool{}
		sem   = make(chan struct{}, n)
		reads []cloud.ServiceListItem
		done  int
	)
	for _, item := range agents {
		if (o.AllDetails || want[item.Name]) && (o.Filter == nil || o.Filter(item.Name)) {
			reads = append(reads, item)
		}
	}
	if o.Progress != nil {
		o.Progress(0, len(reads))
	}
	for _, item := range reads {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				errs = append(errs, fmt.Errorf("read agent %s: %w", item.Name, ctx.Err()))
				mu.Unlock()
				return
			}
			defer func() { <-sem }()
			d, err := api.GetAgent(ctx, item.Name)
			mu.Lock()
			defer mu.Unlock()
			if done++; o.Progress != nil {
				o.Progress(done, len(reads))
			}
			switch {
			case cloud.IsNotFound(err):
				gone[item.Name] = true // deleted between list and read
			case err != nil:
				errs = append(errs, fmt.Errorf("read agent %s: %w", item.Name, err))
			default:
				live.Details[item.Name] = d
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return nil, errors.Join(errs...)
	}
	for _, item := range agents {
		if !gone[item.Name] {
			live.Agents = append(live.Agents, item)
		}
	}
	return live, nil
}
