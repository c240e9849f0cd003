package apply_test

import (
	"context"
	"sync"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// recording is the cloud client that keeps every update request.
type recording struct {
	*cloud.Client
	mu      sync.Mutex
	updates []cloud.UpdateServiceRequest
}

func (r *recording) UpdateAgent(ctx context.Context, name string, req *cloud.UpdateServiceRequest) (*cloud.ServiceDetails, error) {
	r.mu.Lock()
	r.updates = append(r.updates, *req)
	r.mu.Unlock()
	return r.Client.UpdateAgent(ctx, name, req)
}

// TestRedeploySendsForce: the update --redeploy plans is sent with
// forceRedeploy, once, and makes a new deployment.
func TestRedeploySendsForce(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	cfg := &schema.Config{File: "pipecat.yaml", Agents: []schema.Agent{{Name: "bot", Spec: schema.Spec{Image: sp("acme/bot:latest")}}}}
	if res := run(t, context.Background(), e.client, e.plan(t, cfg), apply.Options{}); res.Failed() != 0 {
		t.Fatalf("create: %+v", res.Results)
	}
	before, err := e.client.GetAgent(context.Background(), "bot")
	if err != nil {
		t.Fatal(err)
	}
	p := e.planWith(t, cfg, plan.Options{Redeploy: []string{"b?t"}})
	if p.Summary.Update != 1 || p.Changes[0].Reason != plan.ReasonRedeploy {
		t.Fatalf("plan %+v, want one update with reason %q", p.Changes, plan.ReasonRedeploy)
	}
	rec := &recording{Client: e.client}
	res := run(t, context.Background(), rec, p, apply.Options{})
	if len(res.Results) != 1 || res.Results[0].Outcome != apply.Succeeded || res.Results[0].DeploymentID == before.DesiredDeploymentID {
		t.Errorf("result %+v (deployment before %s)", res.Results, before.DesiredDeploymentID)
	}
	if len(rec.updates) != 1 || !rec.updates[0].ForceRedeploy {
		t.Errorf("updates sent %+v, want one with forceRedeploy", rec.updates)
	}
	// Without the decision nothing is sent.
	if p := e.plan(t, cfg); p.Summary.HasChanges() {
		t.Errorf("plan without --redeploy: %+v", p.Changes)
	}
}
