package plan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// Reader is the part of the API client Refresh needs.
type Reader interface {
	ListAgents(ctx context.Context) ([]cloud.ServiceListItem, error)
	GetAgent(ctx context.Context, name string) (*cloud.ServiceDetails, error)
	ListSecretSets(ctx context.Context) ([]cloud.SecretSetSummary, error)
	GetSecretSet(ctx context.Context, name string) (*cloud.SecretSetDetails, error)
	ListRegions(ctx context.Context) ([]cloud.Region, error)
	GetProperties(ctx context.Context) (*cloud.OrganizationProperties, error)
}

// RefreshOptions says what to read.
type RefreshOptions struct {
	// Names are the agents whose details are read when they are live
	// (the declared agents, or every agent of a saved plan).
	Names []string
	// AllDetails reads the details of every live agent (prune needs them
	// to fingerprint the agents it deletes).
	AllDetails bool
	// Preflight also lists secret sets and regions, and reads the
	// organization's properties (its default region).
	Preflight bool
	// Properties reads the organization's properties even without
	// Preflight; NeedProperties makes their failure an error (the config
	// manages them), not a warning.
	Properties, NeedProperties bool
	// Parallelism bounds the requests in flight; < 1 means 8.
	Parallelism int
	// Filter, when set, limits the details read (Names and AllDetails
	// alike) to the agents it accepts: a targeted plan reads no others.
	Filter func(name string) bool
	// SecretSets are the sets whose key names are read when they exist
	// with type secret (the declared ones). Naming any makes the list of
	// sets necessary: its failure is then an error, not a warning.
	SecretSets []string
	// AllSecretSets reads the key names of every live set of type secret
	// (prune.secretSets fingerprints the ones it deletes).
	AllSecretSets bool
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
	live := &Live{Details: map[string]*cloud.ServiceDetails{}, SecretKeys: map[string]*cloud.SecretSetDetails{}}
	var wg sync.WaitGroup
	var setsErr error
	if o.Preflight || len(o.SecretSets) > 0 || o.AllSecretSets {
		wg.Go(func() { setsErr = readSecretSets(ctx, api, o, n, live) })
	}
	if o.Preflight {
		wg.Go(func() { live.Regions, live.RegionsErr = api.ListRegions(ctx) })
	}
	var propsErr error
	if o.Preflight || o.Properties || o.NeedProperties {
		wg.Go(func() {
			props, err := api.GetProperties(ctx)
			switch {
			case err != nil && o.NeedProperties:
				propsErr = fmt.Errorf("read organization properties: %w", err)
			case err != nil:
				live.PropertiesErr = err
			default:
				live.DefaultRegion = props.DefaultRegion
			}
		})
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
	var g errgroup.Group
	g.SetLimit(n)
	for _, item := range reads {
		g.Go(func() error {
			if ctx.Err() != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("read agent %s: %w", item.Name, ctx.Err()))
				mu.Unlock()
				return nil
			}
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
			return nil
		})
	}
	g.Wait()
	wg.Wait()
	if setsErr != nil {
		errs = append(errs, setsErr)
	}
	if propsErr != nil {
		errs = append(errs, propsErr)
	}
	if err := ctx.Err(); err != nil && len(errs) > 0 {
		// Interrupted: one line, not one per agent still unread.
		return nil, fmt.Errorf("read agents: %w", err)
	}
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

// readSecretSets lists the secret sets and reads the key names of the ones
// o names (all, with AllSecretSets) that exist with type secret, at most
// n at a time. The list may fail when it only feeds preflight (live
// records the error); when sets are declared it may not, nor may a read.
// A set deleted between list and read is taken as absent.
func readSecretSets(ctx context.Context, api Reader, o RefreshOptions, n int, live *Live) error {
	sets, err := api.ListSecretSets(ctx)
	if err != nil {
		if len(o.SecretSets) > 0 || o.AllSecretSets {
			return fmt.Errorf("list secret sets: %w", err)
		}
		live.SecretsErr = err
		return nil
	}
	want := map[string]bool{}
	for _, name := range o.SecretSets {
		want[name] = true
	}
	var (
		g    errgroup.Group
		mu   sync.Mutex
		errs []error
		gone = map[string]bool{}
	)
	g.SetLimit(n)
	for _, s := range sets {
		if s.Type != cloud.SecretTypeSecret || !(o.AllSecretSets || want[s.Name]) {
			continue
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("read secret set %s: %w", s.Name, ctx.Err()))
				mu.Unlock()
				return nil
			}
			d, err := api.GetSecretSet(ctx, s.Name)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case cloud.IsNotFound(err):
				gone[s.Name] = true
			case err != nil:
				errs = append(errs, fmt.Errorf("read secret set %s: %w", s.Name, err))
			default:
				live.SecretKeys[s.Name] = d
			}
			return nil
		})
	}
	g.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return errors.Join(errs...)
	}
	for _, s := range sets {
		if !gone[s.Name] {
			live.Secrets = append(live.Secrets, s)
		}
	}
	return nil
}
