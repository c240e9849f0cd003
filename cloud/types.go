package cloud

// Wire types of the Pipecat Cloud private API (/v1), field for field as the
// official OpenAPI spec names them. Requests and responses have different
// shapes: a request says autoScaling.minAgents, a response
// autoScaling.minReplicas; keep them apart and let plan translate.

// AutoScalingRequest is the autoScaling object of create and update requests.
type AutoScalingRequest struct {
	MinAgents *int `json:"minAgents,omitempty"`
	MaxAgents *int `json:"maxAgents,omitempty"`
}

// KrispVivaRequest is the krispViva object of requests. A nil AudioFilter is
// sent as JSON null, which disables Krisp VIVA.
type KrispVivaRequest struct {
	AudioFilter *string `json:"audioFilter"`
}

// CreateServiceRequest is the body of POST /v1/agents. Nil fields are not
// sent, so the API applies its defaults.
type CreateServiceRequest struct {
	ServiceName        string              `json:"serviceName"`
	Image              string              `json:"image,omitempty"`
	BuildID            string              `json:"buildId,omitempty"`
	Region             string              `json:"region,omitempty"`
	NodeType           string              `json:"nodeType,omitempty"`
	ImagePullSecretSet string              `json:"imagePullSecretSet,omitempty"`
	SecretSet          string              `json:"secretSet,omitempty"`
	AutoScaling        *AutoScalingRequest `json:"autoScaling,omitempty"`
	KrispViva          *KrispVivaRequest   `json:"krispViva,omitempty"`
	AgentProfile       string              `json:"agentProfile,omitempty"`
	MaxSessionDuration *int                `json:"maxSessionDuration,omitempty"`
	// EnableKrisp is the legacy Krisp switch. The API accepts it although no
	// request schema in the spec lists it (see the contract test allowlist).
	EnableKrisp *bool `json:"enableKrisp,omitempty"`
	// EnableIntegratedKeysProxy turns managed keys on or off. The official
	// deploy action sends it (enable-managed-keys); the spec omits it.
	EnableIntegratedKeysProxy *bool `json:"enableIntegratedKeysProxy,omitempty"`
	// WebsocketAuth is "none" or "token" (HMAC session tokens on
	// WebSocket sessions). The CLI sends it; the spec omits it, and no
	// answer carries it.
	WebsocketAuth *string `json:"websocketAuth,omitempty"`
}

// UpdateServiceRequest is the body of POST /v1/agents/{name}. The spec has
// no serviceName or region here; the official deploy action still sends
// serviceName, so the sandbox tolerates both when they repeat current values.
type UpdateServiceRequest struct {
	Image              string              `json:"image,omitempty"`
	BuildID            string              `json:"buildId,omitempty"`
	NodeType           string              `json:"nodeType,omitempty"`
	ImagePullSecretSet string              `json:"imagePullSecretSet,omitempty"`
	SecretSet          string              `json:"secretSet,omitempty"`
	AutoScaling        *AutoScalingRequest `json:"autoScaling,omitempty"`
	KrispViva          *KrispVivaRequest   `json:"krispViva,omitempty"`
	AgentProfile       string              `json:"agentProfile,omitempty"`
	ForceRedeploy      bool                `json:"forceRedeploy,omitempty"`
	MaxSessionDuration *int                `json:"maxSessionDuration,omitempty"`
	EnableKrisp        *bool               `json:"enableKrisp,omitempty"`
	// EnableIntegratedKeysProxy and WebsocketAuth: see CreateServiceRequest.
	EnableIntegratedKeysProxy *bool   `json:"enableIntegratedKeysProxy,omitempty"`
	WebsocketAuth             *string `json:"websocketAuth,omitempty"`
}

// ReplicaScaling is the autoScaling object of responses.
type ReplicaScaling struct {
	MaxReplicas *int `json:"maxReplicas,omitempty"`
	MinReplicas *int `json:"minReplicas,omitempty"`
}

// ServiceListItem is one element of GET /v1/agents.
type ServiceListItem struct {
	ID                     string      `json:"id,omitempty"`
	Name                   string      `json:"name"`
	Region                 string      `json:"region,omitempty"`
	DesiredDeploymentID    string      `json:"desiredDeploymentId,omitempty"`
	ActiveDeploymentID     string      `json:"activeDeploymentId,omitempty"` // deprecated
	ReconciledDeploymentID string      `json:"reconciledDeploymentId,omitempty"`
	OrganizationID         string      `json:"organizationId,omitempty"`
	CreatedAt              string      `json:"createdAt,omitempty"`
	UpdatedAt              string      `json:"updatedAt,omitempty"`
	DeletedAt              *string     `json:"deletedAt"`
	Deployment             *Deployment `json:"deployment,omitempty"`
}

// ListServicesResponse is the body of GET /v1/agents.
type ListServicesResponse struct {
	Services []ServiceListItem `json:"services"`
}

// ServiceDetails is the body of GET /v1/agents/{name} and of successful
// create and update calls (ServiceDetailsResponse in the spec).
type ServiceDetails struct {
	Name      string `json:"name"`
	Region    string `json:"region,omitempty"`
	Ready     bool   `json:"ready"`
	Available bool   `json:"available"`
	CreatedAt string `json:"createdAt,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`

	DesiredDeploymentID string `json:"desiredDeploymentId,omitempty"`
	ActiveDeploymentID  string `json:"activeDeploymentId,omitempty"` // deprecated
	// ReconciledDeploymentID is a pointer because the spec's own examples
	// send null before the first reconcile.
	ReconciledDeploymentID *string `json:"reconciledDeploymentId,omitempty"`
	ActiveDeploymentReady  bool    `json:"activeDeploymentReady"` // deprecated

	AutoScaling        *ReplicaScaling `json:"autoScaling,omitempty"`
	ActiveSessionCount int             `json:"activeSessionCount"`
	Deployment         *Deployment     `json:"deployment"`
	AgentProfile       *string         `json:"agentProfile"`
	KrispViva          *KrispVivaState `json:"krispViva"`
	CurrentRevision    *RevisionInfo   `json:"currentRevision"`
	PreviousRevision   *RevisionInfo   `json:"previousRevision"`
	// Errors are the platform's reasons a deployment cannot proceed. The
	// spec does not list them; the official CLI and deploy action read
	// them while waiting and stop at the first.
	Errors []AgentError `json:"errors,omitempty"`
}

// AgentError is one element of an agent's errors.
type AgentError struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Error is what some answers carry instead of message (the official
	// CLI reads either).
	Error string `json:"error,omitempty"`
}

// Text is the error as one line: "code: message".
func (e AgentError) Text() string {
	msg := e.Message
	if msg == "" {
		msg = e.Error
	}
	switch {
	case e.Code == "":
		return msg
	case msg == "":
		return e.Code
	}
	return e.Code + ": " + msg
}

// KrispVivaState is the krispViva object of responses.
type KrispVivaState struct {
	AudioFilter *string `json:"audioFilter"`
}

// Deployment is the deployment object of responses.
type Deployment struct {
	ID        string    `json:"id,omitempty"`
	Manifest  *Manifest `json:"manifest,omitempty"`
	ServiceID string    `json:"serviceId,omitempty"`
	CreatedAt string    `json:"createdAt,omitempty"`
	UpdatedAt string    `json:"updatedAt,omitempty"`
}

// Manifest is the Kubernetes-style manifest of a deployment.
type Manifest struct {
	APIVersion string           `json:"apiVersion,omitempty"`
	Kind       string           `json:"kind,omitempty"`
	Metadata   ManifestMetadata `json:"metadata"`
	Spec       ManifestSpec     `json:"spec"`
}

// ManifestMetadata names the deployment.
type ManifestMetadata struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// ManifestSpec is where most managed fields come back.
type ManifestSpec struct {
	DailyNodeType       string          `json:"dailyNodeType,omitempty"`
	Image               string          `json:"image,omitempty"` // redacted for build deployments
	AutoScaling         *ReplicaScaling `json:"autoScaling,omitempty"`
	ImagePullSecretName string          `json:"imagePullSecretName,omitempty"`
	EnvFromSecretNames  []string        `json:"envFromSecretNames,omitempty"`
	Resources           *Resources      `json:"resources,omitempty"`
	// KrispModels carries the legacy enableKrisp switch; the spec's examples
	// have it, its schema does not.
	KrispModels               *KrispModels   `json:"krispModels,omitempty"`
	KrispViva                 *KrispVivaSpec `json:"krispViva,omitempty"`
	MaxSessionDurationSeconds *int           `json:"maxSessionDurationSeconds,omitempty"`
}

// Resources is the CPU and memory of an agent profile.
type Resources struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// KrispModels is the legacy Krisp switch in a manifest.
type KrispModels struct {
	Enabled bool `json:"enabled"`
}

// KrispVivaSpec says whether Krisp VIVA filters are on in a manifest.
type KrispVivaSpec struct {
	AudioFilters bool `json:"audioFilters"`
}

// RevisionInfo is the status of one deployment revision.
type RevisionInfo struct {
	DeploymentID           string          `json:"deploymentID,omitempty"`
	Phase                  string          `json:"phase,omitempty"` // Creating, Validating, Active, Draining, Failed
	ReadyReplicas          int             `json:"readyReplicas"`
	PhaseStartedAt         string          `json:"phaseStartedAt,omitempty"`
	Health                 *RevisionHealth `json:"health,omitempty"`
	HasInfrastructureIssue bool            `json:"hasInfrastructureIssue,omitempty"`
}

// RevisionHealth is the health summary of an agent's code.
type RevisionHealth struct {
	Ready                 bool   `json:"ready"`
	State                 string `json:"state,omitempty"` // running, waiting, terminated
	RestartCount          int    `json:"restartCount"`
	ReplicasStarted       int    `json:"replicasStarted"`
	Reason                string `json:"reason,omitempty"`
	LastExitCode          *int   `json:"lastExitCode,omitempty"`
	LastTerminationReason string `json:"lastTerminationReason,omitempty"`
	Message               string `json:"message,omitempty"`
}

// DeleteResponse is the body of a successful DELETE.
type DeleteResponse struct {
	Status string `json:"status"`
}

// Secret set types, as GET /v1/secrets reports them.
const (
	SecretTypeSecret          = "secret"
	SecretTypeImagePullSecret = "imagePullSecret"
)

// Secret set statuses.
const (
	SecretStatusPending = "pending"
	SecretStatusReady   = "ready"
	SecretStatusFailed  = "failed"
)

// SecretSetSummary is one element of GET /v1/secrets.
type SecretSetSummary struct {
	Name         string `json:"name"`
	Type         string `json:"type"`
	Region       string `json:"region,omitempty"`
	Status       string `json:"status,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// ListSecretSetsResponse is the body of GET /v1/secrets.
type ListSecretSetsResponse struct {
	Sets []SecretSetSummary `json:"sets"`
}

// SecretKeyValue is one secret of a regular secret set request.
type SecretKeyValue struct {
	SecretKey   string `json:"secretKey"`
	SecretValue string `json:"secretValue"`
}

// SecretSetRequest is the body of PUT /v1/secrets/{setName}: either a
// regular set (Secrets) or an image pull secret (IsImagePullSecret, Host,
// SecretValue).
type SecretSetRequest struct {
	Secrets           []SecretKeyValue `json:"secrets,omitempty"`
	IsImagePullSecret bool             `json:"isImagePullSecret,omitempty"`
	Host              string           `json:"host,omitempty"`
	SecretValue       string           `json:"secretValue,omitempty"`
	Region            string           `json:"region,omitempty"`
}

// SecretSetAccepted is the 202 body of PUT /v1/secrets/{setName}.
type SecretSetAccepted struct {
	Status string `json:"status"`
	Region string `json:"region"`
}

// SecretKey names one key of a set; values are never returned.
type SecretKey struct {
	FieldName string `json:"fieldName"`
}

// SecretSetDetails is the body of GET /v1/secrets/{setName}.
type SecretSetDetails struct {
	Region       string      `json:"region,omitempty"`
	Status       string      `json:"status,omitempty"`
	ErrorMessage string      `json:"errorMessage,omitempty"`
	Secrets      []SecretKey `json:"secrets"`
}

// Region is one element of GET /v1/regions.
type Region struct {
	Code        string `json:"code"`
	DisplayName string `json:"display_name"`
}

// ListRegionsResponse is the body of GET /v1/regions.
type ListRegionsResponse struct {
	Regions []Region `json:"regions"`
}

// ErrorResponse is the body of every API error.
type ErrorResponse struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Build statuses. pending and building are in progress; the others final.
const (
	BuildStatusPending  = "pending"
	BuildStatusBuilding = "building"
	BuildStatusSuccess  = "success"
	BuildStatusFailed   = "failed"
	BuildStatusTimeout  = "timeout"
)

// UploadURLRequest is the body of POST /v1/builds/upload-url.
type UploadURLRequest struct {
	// Region empty: the organization's default, as the platform takes it.
	Region string `json:"region,omitempty"`
}

// UploadURLResponse is where and how to upload a build context: a
// multipart POST to UploadURL with every UploadFields field first and the
// gzipped tar last, as the field "file".
type UploadURLResponse struct {
	UploadID     string            `json:"uploadId,omitempty"`
	UploadURL    string            `json:"uploadUrl,omitempty"`
	UploadFields map[string]string `json:"uploadFields,omitempty"`
	ExpiresAt    string            `json:"expiresAt,omitempty"`
}

// CreateBuildRequest is the body of POST /v1/builds.
type CreateBuildRequest struct {
	UploadID       string `json:"uploadId"`
	Region         string `json:"region,omitempty"`         // empty: the organization's default
	DockerfilePath string `json:"dockerfilePath,omitempty"` // default "Dockerfile"
}

// CreateBuildResponse is the body of POST /v1/builds: 201 for a new build,
// 200 with Cached for an earlier successful one of the same context hash,
// Dockerfile path and region.
type CreateBuildResponse struct {
	Build       *Build `json:"build,omitempty"`
	ContextHash string `json:"contextHash,omitempty"`
	Cached      bool   `json:"cached"`
}

// Build is one cloud build.
type Build struct {
	ID               string `json:"id,omitempty"`
	OrganizationID   string `json:"organizationId,omitempty"`
	Status           string `json:"status,omitempty"`
	Region           string `json:"region,omitempty"`
	ContextHash      string `json:"contextHash,omitempty"`
	DockerfilePath   string `json:"dockerfilePath,omitempty"`
	ImageURI         string `json:"imageUri,omitempty"` // success only
	LogsURL          string `json:"logsUrl,omitempty"`
	ErrorMessage     string `json:"errorMessage,omitempty"`
	ContextSizeBytes int64  `json:"contextSizeBytes,omitempty"`
	ImageSizeBytes   int64  `json:"imageSizeBytes,omitempty"` // success only
	// BuildDurationSeconds is set once the build is complete (0 included).
	BuildDurationSeconds *int64 `json:"buildDurationSeconds,omitempty"`
	StartedAt            string `json:"startedAt,omitempty"`
	CompletedAt          string `json:"completedAt,omitempty"`
	CreatedAt            string `json:"createdAt,omitempty"`
	UpdatedAt            string `json:"updatedAt,omitempty"`
}

// GetBuildResponse is the body of GET /v1/builds/{buildId}.
type GetBuildResponse struct {
	Build *Build `json:"build,omitempty"`
}

// BuildQuery filters GET /v1/builds; zero fields are not sent.
// DockerfilePath is not in the spec; the official deploy action sends it
// for its cache lookup.
type BuildQuery struct {
	ContextHash    string
	DockerfilePath string
	Region         string
	Status         string
	Limit          int
	Offset         int
}

// GetBuildLogsResponse is the body of GET /v1/builds/{buildId}/logs.
type GetBuildLogsResponse struct {
	Logs      []string `json:"logs"`
	NextToken string   `json:"nextToken,omitempty"`
}

// ListBuildsResponse is the body of GET /v1/builds.
type ListBuildsResponse struct {
	Builds []Build `json:"builds"`
	Total  int     `json:"total"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
}
