package plan

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// The wire mapping, derived from the field table on schema.Spec (its
// wire, live and default tags): the one place that turns a Spec into the
// API's requests and its answers back into a Spec.

// DefaultMaxSessionDuration is what the API applies when an agent's
// manifest has no maxSessionDurationSeconds (the default tag of
// schema.Spec.MaxSessionDuration).
const DefaultMaxSessionDuration = 7200

// LiveSpec normalizes the API's detail response into the shape of a desired
// Spec. Every readable field is set; a field the API reports as absent is
// nil where absence means "none" (imagePullSecretSet, secretSet) and the
// platform default where it means the default (maxSessionDuration 7200,
// enableKrisp false). Write-only fields (buildId) are never set.
func LiveSpec(d *cloud.ServiceDetails) schema.Spec {
	var s schema.Spec
	root := reflect.ValueOf(d).Elem()
	for _, f := range schema.AllFields() {
		if f.WriteOnly {
			continue
		}
		var v any
		found := false
		for _, p := range f.Live {
			if v, found = wireGet(root, strings.Split(p, ".")); found {
				break
			}
		}
		if !found {
			v = f.Default
		}
		// nil leaves a field unmanaged, or null where it is nullable.
		s.Set(f.Path, v)
	}
	return s
}

// CreateRequest is the body that creates the agent: the full desired spec,
// with unmanaged fields left out so the API applies its defaults.
func CreateRequest(name string, s *schema.Spec) *cloud.CreateServiceRequest {
	r := &cloud.CreateServiceRequest{ServiceName: name}
	for _, f := range s.Fields() {
		if f.Wire != "" {
			wireSet(reflect.ValueOf(r).Elem(), strings.Split(f.Wire, "."), f.Value)
		}
	}
	return r
}

// UpdateRequest is the body that updates the agent: every managed field
// (not only the changed ones, so the result does not depend on what the
// plan saw), never serviceName or an immutable field (region), which
// update cannot change. A build is not a request field: apply sends the
// buildId it got for it.
func UpdateRequest(s *schema.Spec) *cloud.UpdateServiceRequest {
	r := &cloud.UpdateServiceRequest{}
	for _, f := range s.Fields() {
		if f.Wire != "" && !f.Immutable {
			wireSet(reflect.ValueOf(r).Elem(), strings.Split(f.Wire, "."), f.Value)
		}
	}
	return r
}

// wireField returns the field of struct v whose JSON name is name.
func wireField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// wireSet sets the field at the JSON path of struct v to value, creating
// the objects on the way; a nil value leaves the leaf nil (JSON null or
// absent). A path the wire type lacks is a field table that names the
// wire wrongly: a programming error the wire tests catch.
func wireSet(v reflect.Value, path []string, value any) {
	f, ok := wireField(v, path[0])
	if !ok {
		panic(fmt.Sprintf("%s has no JSON field %s", v.Type(), path[0]))
	}
	if len(path) > 1 {
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				f.Set(reflect.New(f.Type().Elem()))
			}
			f = f.Elem()
		}
		wireSet(f, path[1:], value)
		return
	}
	if value == nil {
		return
	}
	x := reflect.ValueOf(value)
	if f.Kind() == reflect.Pointer {
		p := reflect.New(f.Type().Elem())
		p.Elem().Set(x.Convert(f.Type().Elem()))
		f.Set(p)
		return
	}
	f.Set(x.Convert(f.Type()))
}

// wireGet reads the value at the JSON path of v (a number indexes a
// slice). A nil pointer, an index out of range or an empty string is
// absent.
func wireGet(v reflect.Value, path []string) (any, bool) {
	for _, name := range path {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, false
			}
			v = v.Elem()
		}
		if v.Kind() == reflect.Slice {
			i, err := strconv.Atoi(name)
			if err != nil || i >= v.Len() {
				return nil, false
			}
			v = v.Index(i)
			continue
		}
		f, ok := wireField(v, name)
		if !ok {
			panic(fmt.Sprintf("%s has no JSON field %s", v.Type(), name))
		}
		v = f
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.String && v.Len() == 0 {
		return nil, false
	}
	return v.Interface(), true
}

// ImageRedacted reports whether a live image is the API's redaction of an
// agent deployed from a build (or missing), so it says nothing about what
// runs.
func ImageRedacted(image *string) bool {
	return image == nil || *image == "" || strings.Contains(strings.ToLower(*image), "redacted")
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
