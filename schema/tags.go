package schema

import (
	"fmt"
	"slices"
	"strings"
)

// mutableTags are tags that conventionally move: an image deployed with
// one changes under the same name, which no plan can see.
var mutableTags = []string{"latest", "main", "master", "stable", "dev", "develop", "development", "edge", "nightly", "canary", "beta", "head", "trunk", "staging", "prod", "production"}

// MutableTag says why image may change under the same reference: it has
// no tag (the registry serves latest) or a tag that conventionally moves.
// Empty when it is pinned by a digest or has another tag.
func MutableTag(image string) string {
	if strings.Contains(image, "@") {
		return "" // a digest pins it, whatever the tag
	}
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok || tag == "":
		return "has no tag, so it is latest"
	case slices.Contains(mutableTags, strings.ToLower(tag)):
		return fmt.Sprintf("has the mutable tag %s", tag)
	}
	return ""
}

// TagWarning is the advice for an agent whose image MutableTag flags:
// a new image under the same name is never planned or deployed.
func TagWarning(agent, image, why string) string {
	repo := image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo = image[:i]
	}
	return fmt.Sprintf("image %s %s: a new image pushed under it is never planned or deployed; pin a version (%s:1.2.3) or a digest (%s@sha256:…), or redeploy it on purpose with --redeploy %s",
		image, why, repo, repo, agent)
}
