package sandbox

import (
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// failedSecretMessage is the errorMessage of a failed set; the spec says it
// is generic by design.
const failedSecretMessage = "Secret set provisioning failed. Please retry or contact support."

// secretSetRequest is the union of RegularSecretsRequest and
// ImagePullSecretRequest.
type secretSetRequest struct {
	Secrets []struct {
		SecretKey   *string `json:"secretKey"`
		SecretValue *string `json:"secretValue"`
	} `json:"secrets"`
	IsImagePullSecret *bool   `json:"isImagePullSecret"`
	Host              *string `json:"host"`
	SecretValue       *string `json:"secretValue"`
	Region            *string `json:"region"`
}

const imagePullRequired = "Must provide isImagePullSecret, host, and secretValue to update an image pull secret"

func (s *Server) putSecretSet(res *response, r *http.Request, name string) {
	var req secretSetRequest
	if !validSetName(name) || !decodeBody(r, &req) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid request format")
		return
	}
	pull := req.IsImagePullSecret != nil && *req.IsImagePullSecret
	var keys []string
	values := map[string]string{}
	if pull {
		if !given(req.Host) || !given(req.SecretValue) {
			res.fail(http.StatusBadRequest, codeBadRequest, imagePullRequired)
			return
		}
	} else {
		if len(req.Secrets) == 0 {
			res.fail(http.StatusBadRequest, codeBadRequest, "Invalid request format")
			return
		}
		for _, kv := range req.Secrets {
			if !given(kv.SecretKey) || kv.SecretValue == nil {
				res.fail(http.StatusBadRequest, codeBadRequest, "Invalid request format")
				return
			}
			keys = append(keys, *kv.SecretKey)
			values[*kv.SecretKey] = *kv.SecretValue
		}
	}
	if given(req.Region) && !s.regionKnown(*req.Region) {
		res.fail(http.StatusBadRequest, codeBadRequest, "Invalid region or organization does not have access")
		return
	}

	s.lock(res)
	defer s.mu.Unlock()
	now := s.now()
	old := s.state.SecretSets[name]
	set := &SecretSet{Type: cloud.SecretTypeSecret, Region: s.orgDefaultRegion()}
	if pull {
		set.Type = cloud.SecretTypeImagePullSecret
	}
	if given(req.Region) {
		set.Region = *req.Region
	}
	if old != nil {
		switch {
		case old.Type == cloud.SecretTypeSecret && pull:
			res.fail(http.StatusBadRequest, codeBadRequest, "Cannot update existing regular secrets to image pull secrets")
			return
		case old.Type == cloud.SecretTypeImagePullSecret && !pull:
			res.fail(http.StatusBadRequest, codeBadRequest, imagePullRequired)
			return
		case given(req.Region) && *req.Region != old.Region:
			res.fail(http.StatusBadRequest, codeBadRequest, "Secret already exists in region '"+old.Region+"'. Cannot change region to '"+*req.Region+"'.")
			return
		}
		set.Region = old.Region
		// Keys not named keep their values: a PUT upserts keys, and
		// DELETE /v1/secrets/{set}/{key} is how one goes away.
		keys = append(keys, old.Keys...)
		for k, v := range old.Values {
			if _, named := values[k]; !named {
				values[k] = v
			}
		}
	}
	if pull {
		host := *req.Host
		if !strings.HasSuffix(host, "/") {
			host += "/"
		}
		set.Host, set.Value = host, *req.SecretValue
	} else {
		set.Keys, set.Values = sortedKeys(keys), values
	}
	set.Status = cloud.SecretStatusReady
	if s.opts.ReadyDelay > 0 {
		at := now.Add(s.opts.ReadyDelay)
		set.Status, set.ReadyAt = cloud.SecretStatusPending, &at
	}
	res.after = put(s, secretSetsTable, name, set)
	res.json(http.StatusAccepted, cloud.SecretSetAccepted{Status: "OK", Region: set.Region})
}

func (s *Server) getSecretSet(res *response, _ *http.Request, name string) {
	s.lock(res)
	defer s.mu.Unlock()
	set := s.state.SecretSets[name]
	if set == nil {
		res.fail(http.StatusNotFound, codeNotFound, "Set not found")
		return
	}
	if set.Type == cloud.SecretTypeImagePullSecret {
		res.fail(http.StatusBadRequest, codeBadRequest, "Cannot retrieve image pull secrets by name")
		return
	}
	st := set.status(s.now())
	out := cloud.SecretSetDetails{Region: set.Region, Status: st, Secrets: []cloud.SecretKey{}}
	if st == cloud.SecretStatusFailed {
		out.ErrorMessage = set.ErrorMessage
	}
	for _, k := range set.Keys {
		out.Secrets = append(out.Secrets, cloud.SecretKey{FieldName: k})
	}
	res.json(http.StatusOK, out)
}

func (s *Server) deleteSecretSet(res *response, _ *http.Request, name string) {
	s.lock(res)
	defer s.mu.Unlock()
	deleteEntry(s, res, secretSetsTable, name, "Set not found")
}

// deleteSecretKey removes one key, and its value, from a regular set. Its
// status is left as it is: the spec describes provisioning only for PUT.
func (s *Server) deleteSecretKey(res *response, _ *http.Request, arg string) {
	name, key, _ := strings.Cut(arg, "/")
	s.lock(res)
	defer s.mu.Unlock()
	old := s.state.SecretSets[name]
	if old == nil {
		res.fail(http.StatusNotFound, codeNotFound, "Set not found")
		return
	}
	i, found := slices.BinarySearch(old.Keys, key)
	if old.Type != cloud.SecretTypeSecret || !found {
		// An image pull set has no keys to delete; the operation
		// documents no other error than 404.
		res.fail(http.StatusNotFound, codeNotFound, "Secret not found")
		return
	}
	set := *old
	set.Keys = slices.Delete(slices.Clone(old.Keys), i, i+1)
	set.Values = maps.Clone(old.Values)
	delete(set.Values, key)
	res.after = put(s, secretSetsTable, name, &set)
	res.json(http.StatusOK, cloud.DeleteResponse{Status: "OK"})
}

// SecretValue returns the value a PUT stored for key in the regular secret
// set name, so that tests can check what a client sent though no response
// ever carries it. ok is false for an unknown set or key, or a seeded key
// that never had a value.
func (s *Server) SecretValue(name, key string) (value string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if set := s.state.SecretSets[name]; set != nil {
		value, ok = set.Values[key]
	}
	return value, ok
}

// ImagePullSecret returns the host and credentials a PUT stored for the
// image pull secret set name; ok is false for an unknown set, one of
// another type, or a seeded one.
func (s *Server) ImagePullSecret(name string) (host, value string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.state.SecretSets[name]
	if set == nil || set.Type != cloud.SecretTypeImagePullSecret || set.Value == "" {
		return "", "", false
	}
	return set.Host, set.Value, true
}

func (s *Server) listSecretSets(res *response, _ *http.Request, _ string) {
	s.lock(res)
	defer s.mu.Unlock()
	now := s.now()
	out := cloud.ListSecretSetsResponse{Sets: make([]cloud.SecretSetSummary, 0, len(s.state.SecretSets))}
	for name, set := range s.state.SecretSets {
		sum := cloud.SecretSetSummary{Name: name, Type: set.Type, Region: set.Region, Status: set.status(now)}
		if sum.Status == cloud.SecretStatusFailed {
			sum.ErrorMessage = set.ErrorMessage
		}
		out.Sets = append(out.Sets, sum)
	}
	sort.Slice(out.Sets, func(i, j int) bool { return out.Sets[i].Name < out.Sets[j].Name })
	res.json(http.StatusOK, out)
}

func validSetName(name string) bool {
	return len(name) >= 3 && len(name) <= 63 && setNamePattern.MatchString(name)
}

// sortedKeys returns keys sorted without duplicates.
func sortedKeys(keys []string) []string {
	if len(keys) == 0 {
		return nil
	}
	out := append([]string(nil), keys...)
	sort.Strings(out)
	n := 1
	for _, k := range out[1:] {
		if k != out[n-1] {
			out[n] = k
			n++
		}
	}
	return out[:n]
}
