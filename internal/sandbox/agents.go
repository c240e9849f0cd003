package sandbox

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

var (
	// setNamePattern is the {setName} path parameter's pattern.
	setNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	uuidPattern    = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// Constants of the emulated organization.
const (
	organizationID = "7c489df3-7d1d-482f-b1ed-51300f630645"
	namespace      = "sandbox-org"
	// RedactedImage is what the manifest says instead of the image of an
	// agent deployed from a build.
	RedactedImage = "redacted"
	// defaultMaxAgents is autoScaling.maxAgents's documented default.
	defaultMaxAgents = 50
)

var profileResources = map[string]cloud.Resources{
	"agent-1x": {CPU: "500m", Memory: "1Gi"},
	"agent-2x": {CPU: "1", Memory: "2Gi"},
	"agent-3x": {CPU: "1500m", Memory: "3Gi"},
}

func given(p *string) bool { return p != nil && *p != "" }

// badRequest is a 400 GENERIC_BAD_REQUEST message; apiError carries any
// other status.
type apiError struct {
	status int
	code   string
	msg    string
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeBadRequest, fmt.Sprintf(format, args...)}
}

// checkImage requires a valid image reference (see referencePattern) with
// a tag or a digest: a registry port (host:5000/bot) is not a tag.
func checkImage(image string) *apiError {
	_, tag, digest, ok := parseReference(image)
	if !ok {
		return badRequest("Invalid image '%s'.", image)
	}
	if tag == "" && digest == "" {
		return badRequest("Image '%s' must include a tag or digest (for example '%s:1.0').", image, image)
	}
	return nil
}

// failing reports whether image follows the failing-revision convention:
// a tag that starts with "fail".
func failing(image string) bool {
	_, tag, digest, _ := parseReference(image)
	return digest == "" && strings.HasPrefix(tag, "fail")
}

// checkRefs checks what an agent request refers to: its build (see
// checkBuild) and its secret sets, which must exist with the right type,
// be in the agent's region and be ready. created selects the create
// wording of the region messages.
func (s *Server) checkRefs(req *agentRequest, region string, created bool, now time.Time) *apiError {
	if given(req.BuildID) {
		if err := s.checkBuild(strings.ToLower(*req.BuildID), region, now); err != nil {
			return err
		}
	}
	where := "is in region '%[3]s'"
	if created {
		where = "will be created in region '%[3]s'"
	}
	type ref struct {
		name, typ, notFound, mismatch string
	}
	var refs []ref
	if given(req.SecretSet) {
		refs = append(refs, ref{*req.SecretSet, cloud.SecretTypeSecret, "Secret set not found",
			"Secret set '%[1]s' is in region '%[2]s' but service " + where + ". Secrets must be in the same region as the service."})
	}
	if given(req.ImagePullSecretSet) {
		refs = append(refs, ref{*req.ImagePullSecretSet, cloud.SecretTypeImagePullSecret, "Image pull secret set not found",
			"Image pull secret set '%[1]s' is in region '%[2]s' but service " + where + ". Image pull secrets must be in the same region as the service."})
	}
	for _, r := range refs {
		set := s.state.SecretSets[r.name]
		if set == nil || set.Type != r.typ {
			return &apiError{http.StatusNotFound, codeNotFound, r.notFound}
		}
		if set.Region != region {
			return badRequest(r.mismatch, r.name, set.Region, region)
		}
		if st := set.status(now); st != cloud.SecretStatusReady {
			return &apiError{http.StatusConflict, codeConflict,
				fmt.Sprintf("Secret set '%s' is not ready (status: %s). Wait until it is ready before deploying.", r.name, st)}
		}
	}
	return nil
}

// newUUID returns a random (version 4) UUID. IDs come from crypto/rand, not
// the fault seed, so that they stay unique across restarts of a persisted
// sandbox.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *Server) newDeployment(now time.Time) Deployment {
	return Deployment{ID: s.newID(), CreatedAt: now, ReadyAt: now.Add(s.opts.ReadyDelay)}
}

func (s *Server) createAgent(res *response, r *http.Request, _ string) {
	req, bad := decodeAgentRequest(r)
	if bad != nil {
		res.fail(bad.status, bad.code, bad.msg)
		return
	}
	if req.ServiceName == nil {
		res.fail(http.StatusBadRequest, codeBadRequest, "serviceName is required")
		return
	}
	name := *req.ServiceName
	if !validServiceName(name) {
		res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Invalid serviceName '%s'. Must start and end with a lowercase letter or number, contain only lowercase letters, numbers and hyphens, and be at most 54 characters.", name))
		return
	}
	if !given(req.Image) && !given(req.BuildID) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Either image or buildId is required for service creation")
		return
	}
	if given(req.Region) && !s.regionKnown(*req.Region) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid region or organization does not have access")
		return
	}
	spec := AgentSpec{NodeType: "arm", AgentProfile: "agent-1x", MaxAgents: defaultMaxAgents}
	if err := req.apply(&spec); err != nil {
		res.fail(err.status, err.code, err.msg)
		return
	}

	s.lock(res)
	defer s.mu.Unlock()
	now := s.now()
	// No region: the organization's default, as the platform does.
	region := s.orgDefaultRegion()
	if given(req.Region) {
		region = *req.Region
	}
	if _, ok := s.state.Agents[name]; ok {
		res.fail(http.StatusBadRequest, codeBadRequest, "Service already exists")
		return
	}
	if err := s.checkRefs(&req, region, true, now); err != nil {
		res.fail(err.status, err.code, err.msg)
		return
	}
	a := &Agent{ID: s.newID(), Region: region, CreatedAt: now, UpdatedAt: now, Spec: spec, Deployment: s.newDeployment(now)}
	res.after = put(s, agentsTable, name, a)
	res.json(http.StatusOK, details(name, a, now))
}

func (s *Server) updateAgent(res *response, r *http.Request, name string) {
	req, bad := decodeAgentRequest(r)

	s.lock(res)
	defer s.mu.Unlock()
	now := s.now()
	a := s.state.Agents[name]
	if a == nil {
		res.fail(http.StatusNotFound, codeNotFound, "Service not found")
		return
	}
	if bad != nil {
		res.fail(bad.status, bad.code, bad.msg)
		return
	}
	// The official deploy action repeats serviceName (and region) on
	// every update; a different value would be a rename or a move.
	if given(req.ServiceName) && *req.ServiceName != name {
		res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("serviceName '%s' does not match the agent being updated ('%s'). An agent cannot be renamed.", *req.ServiceName, name))
		return
	}
	if given(req.Region) && *req.Region != a.Region {
		res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Cannot change region of agent '%s' from '%s' to '%s'. Delete and recreate the agent to move it.", name, a.Region, *req.Region))
		return
	}
	spec := a.Spec
	if err := req.apply(&spec); err != nil {
		res.fail(err.status, err.code, err.msg)
		return
	}
	if err := s.checkRefs(&req, a.Region, false, now); err != nil {
		res.fail(err.status, err.code, err.msg)
		return
	}

	n := *a // a new value: the journal's undo puts the old one back
	ready, settled := readiness(a, now)
	if ready {
		n.Serving = &Deployment{ID: a.Deployment.ID, CreatedAt: a.Deployment.CreatedAt, ReadyAt: a.Deployment.ReadyAt}
	}
	if settled {
		n.ReconciledDeploymentID = a.Deployment.ID
	}
	n.Spec = spec
	n.UpdatedAt = now
	n.Deployment = s.newDeployment(now)
	res.after = put(s, agentsTable, name, &n)
	res.json(http.StatusOK, details(name, &n, now))
}

func (s *Server) getAgent(res *response, _ *http.Request, name string) {
	s.lock(res)
	defer s.mu.Unlock()
	a := s.state.Agents[name]
	if a == nil {
		res.fail(http.StatusNotFound, codeNotFound, "Not found")
		return
	}
	res.json(http.StatusOK, details(name, a, s.now()))
}

func (s *Server) deleteAgent(res *response, _ *http.Request, name string) {
	s.lock(res)
	defer s.mu.Unlock()
	deleteEntry(s, res, agentsTable, name, "Not found")
}

// deleteEntry removes name from one of the state's tables, answering 404
// notFound if it is not there. s.mu must be held.
func deleteEntry[T any](s *Server, res *response, t table[T], name, notFound string) {
	if t.m(&s.state)[name] == nil {
		res.fail(http.StatusNotFound, codeNotFound, notFound)
		return
	}
	res.after = put[T](s, t, name, nil)
	res.json(http.StatusOK, cloud.DeleteResponse{Status: "OK"})
}

func (s *Server) listAgents(res *response, r *http.Request, _ string) {
	q := r.URL.Query()
	region := q.Get("region")
	withDeployment, _ := strconv.ParseBool(q.Get("includeActiveDeployment"))

	s.lock(res)
	defer s.mu.Unlock()
	now := s.now()
	names := make([]string, 0, len(s.state.Agents))
	for name, a := range s.state.Agents {
		if region == "" || a.Region == region {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := cloud.ListServicesResponse{Services: make([]cloud.ServiceListItem, 0, len(names))}
	for _, name := range names {
		a := s.state.Agents[name]
		d := details(name, a, now)
		item := cloud.ServiceListItem{
			ID:                  a.ID,
			Name:                name,
			Region:              a.Region,
			DesiredDeploymentID: d.DesiredDeploymentID,
			ActiveDeploymentID:  d.ActiveDeploymentID,
			OrganizationID:      organizationID,
			CreatedAt:           d.CreatedAt,
			UpdatedAt:           d.UpdatedAt,
		}
		if d.ReconciledDeploymentID != nil {
			item.ReconciledDeploymentID = *d.ReconciledDeploymentID
		}
		if withDeployment {
			item.Deployment = d.Deployment
		}
		out.Services = append(out.Services, item)
	}
	res.json(http.StatusOK, out)
}

func (s *Server) internalError(res *response, err error) {
	if s.opts.Logf != nil {
		s.opts.Logf("%v", err)
	}
	res.fail(http.StatusInternalServerError, codeInternal, "Internal server error")
}

// readiness reports whether a's latest deployment is ready and whether it
// has settled (become ready or failed) at now.
func readiness(a *Agent, now time.Time) (ready, settled bool) {
	settled = !now.Before(a.Deployment.ReadyAt)
	return settled && !failing(a.Spec.Image), settled
}

// crashTraceback is the message of a failing revision's health.
const crashTraceback = "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'pipecat'"

// details renders a as ServiceDetailsResponse at now.
func details(name string, a *Agent, now time.Time) cloud.ServiceDetails {
	spec := a.Spec
	dep := a.Deployment
	ready, settled := readiness(a, now)

	d := cloud.ServiceDetails{
		Name:                  name,
		Region:                a.Region,
		Ready:                 ready,
		CreatedAt:             timestamp(a.CreatedAt),
		UpdatedAt:             timestamp(a.UpdatedAt),
		DesiredDeploymentID:   dep.ID,
		ActiveDeploymentID:    dep.ID,
		ActiveDeploymentReady: ready,
	}
	spec.answer(&d)
	// Before the first reconcile the spec's example has null, which its
	// schema does not allow: omit the field instead.
	if settled {
		d.ReconciledDeploymentID = &dep.ID
	} else if a.ReconciledDeploymentID != "" {
		d.ReconciledDeploymentID = &a.ReconciledDeploymentID
	}

	image := spec.Image
	if spec.BuildID != "" {
		image = RedactedImage
	}
	ms := spec.manifest(image)
	d.Deployment = &cloud.Deployment{
		ID: dep.ID,
		Manifest: &cloud.Manifest{
			APIVersion: "pipecatcloud.daily.co/v1",
			Kind:       "PCService",
			Metadata:   cloud.ManifestMetadata{Name: name, Namespace: namespace},
			Spec:       ms,
		},
		ServiceID: a.ID,
		CreatedAt: timestamp(dep.CreatedAt),
		UpdatedAt: timestamp(dep.CreatedAt),
	}

	d.CurrentRevision = revision(dep, spec, now)
	if !ready && a.Serving != nil {
		// The last good revision keeps serving while this one rolls out,
		// or after it failed.
		d.PreviousRevision = &cloud.RevisionInfo{
			DeploymentID:   a.Serving.ID,
			Phase:          "Active",
			ReadyReplicas:  spec.MinAgents,
			PhaseStartedAt: timestamp(a.Serving.ReadyAt),
			Health:         &cloud.RevisionHealth{Ready: true, State: "running", ReplicasStarted: spec.MinAgents},
		}
	}
	d.Available = ready || d.PreviousRevision != nil
	d.Errors = agentErrors(a, now)
	return d
}

// revision is the status of the latest deployment: Creating for the
// first half of the ready delay, Validating for the second, then Active
// (or Failed, for the failing-image convention).
func revision(dep Deployment, spec AgentSpec, now time.Time) *cloud.RevisionInfo {
	rev := &cloud.RevisionInfo{DeploymentID: dep.ID}
	validating := dep.CreatedAt.Add(dep.ReadyAt.Sub(dep.CreatedAt) / 2)
	switch {
	case !now.Before(dep.ReadyAt) && pullFailing(spec.Image):
		rev.Phase = "Failed"
		rev.PhaseStartedAt = timestamp(dep.ReadyAt)
		rev.Health = &cloud.RevisionHealth{State: "waiting", Reason: "ImagePullBackOff", Message: "Back-off pulling image \"" + spec.Image + "\""}
	case !now.Before(dep.ReadyAt) && failing(spec.Image):
		rev.Phase = "Failed"
		rev.PhaseStartedAt = timestamp(dep.ReadyAt)
		rev.Health = &cloud.RevisionHealth{
			Ready:                 false,
			State:                 "waiting",
			RestartCount:          crashRestarts,
			ReplicasStarted:       1,
			Reason:                "CrashLoopBackOff",
			LastExitCode:          intp(1),
			LastTerminationReason: "Error",
			Message:               crashTraceback,
		}
	case !now.Before(dep.ReadyAt):
		rev.Phase = "Active"
		rev.ReadyReplicas = spec.MinAgents
		rev.PhaseStartedAt = timestamp(dep.ReadyAt)
		rev.Health = &cloud.RevisionHealth{Ready: true, State: "running", ReplicasStarted: spec.MinAgents}
	case !now.Before(validating):
		rev.Phase = "Validating"
		rev.PhaseStartedAt = timestamp(validating)
		rev.Health = &cloud.RevisionHealth{Ready: false, State: "running", ReplicasStarted: 1}
		if n := crashesBy(dep, spec.Image, now); n > 0 {
			// Crash-looping before the revision is marked Failed.
			rev.Health = &cloud.RevisionHealth{State: "waiting", Reason: "CrashLoopBackOff", RestartCount: n - 1, ReplicasStarted: 1,
				LastExitCode: intp(1), LastTerminationReason: "Error", Message: crashTraceback}
		}
	default:
		rev.Phase = "Creating"
		rev.PhaseStartedAt = timestamp(dep.CreatedAt)
	}
	return rev
}

func intp(i int) *int { return &i }
