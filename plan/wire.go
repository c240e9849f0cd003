package plan

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// The wire mapping, derived from the field table on schema.Spec (its
// wire, live and default tags): the one place that turns a Spec into the
// API's requests and its answers back into a Spec.

// LiveSpec normalizes the API's detail response into the shape of a desired
// Spec. Every readable field is set; a field the API reports as absent is
// nil where absence means "none" (imagePullSecretSet, secretSet) and the
// platform default where it means the default (maxSessionDuration 7200,
// enableKrisp false). Write-only fields (buildId) are never set.
func LiveSpec(d *cloud.ServiceDetails) schema.Spec {
	var s schema.Spec
	root := reflect.ValueOf(d).Elem()
	for _, f := range wireTable().live {
		var v any
		found := false
		for _, p := range f.paths {
			if v, found = p.get(root); found {
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
	setWire(reflect.ValueOf(r).Elem(), s, wireTable().create)
	return r
}

// UpdateRequest is the body that updates the agent: every managed field
// (not only the changed ones, so the result does not depend on what the
// plan saw), never serviceName or an immutable field (region), which
// update cannot change. A build is not a request field: apply sends the
// buildId it got for it.
func UpdateRequest(s *schema.Spec) *cloud.UpdateServiceRequest {
	r := &cloud.UpdateServiceRequest{}
	setWire(reflect.ValueOf(r).Elem(), s, wireTable().update)
	return r
}

func setWire(r reflect.Value, s *schema.Spec, paths map[string]wirePath) {
	for _, f := range s.Fields() {
		if p, ok := paths[f.Path]; ok {
			p.set(r, f.Value)
		}
	}
}

// wireTable is the field table of schema.Spec resolved, once, against the
// client's wire types: for each field, the struct fields its wire name
// names in the requests and its live paths in the detail response. A name
// the types lack panics: TestFieldTableNamesTheWireTypes catches it first.
var wireTable = sync.OnceValue(func() (t struct {
	live           []liveField
	create, update map[string]wirePath
}) {
	create, update := reflect.TypeFor[cloud.CreateServiceRequest](), reflect.TypeFor[cloud.UpdateServiceRequest]()
	details := reflect.TypeFor[cloud.ServiceDetails]()
	t.create, t.update = map[string]wirePath{}, map[string]wirePath{}
	for _, f := range schema.AllFields() {
		if f.Wire != "" {
			t.create[f.Path] = resolve(create, f.Wire)
			if !f.Immutable {
				t.update[f.Path] = resolve(update, f.Wire)
			}
		}
		if !f.WriteOnly {
			lf := liveField{Field: f}
			for _, p := range f.Live {
				lf.paths = append(lf.paths, resolve(details, p))
			}
			t.live = append(t.live, lf)
		}
	}
	return t
})

type liveField struct {
	schema.Field
	paths []wirePath
}

// wirePath is a dotted JSON path resolved to reflect steps: a struct
// field index, or for a slice the element index.
type wirePath []wireStep

type wireStep struct {
	field int
	slice bool
	index int
}

func resolve(t reflect.Type, path string) wirePath {
	var out wirePath
	for _, name := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice {
			i, err := strconv.Atoi(name)
			if err != nil {
				panic(fmt.Sprintf("%s: %s indexes a slice", path, name))
			}
			out, t = append(out, wireStep{slice: true, index: i}), t.Elem()
			continue
		}
		found := false
		for i := range t.NumField() {
			if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
				out, t, found = append(out, wireStep{field: i}), t.Field(i).Type, true
				break
			}
		}
		if !found {
			panic(fmt.Sprintf("%s has no JSON field %s (of %s)", t, name, path))
		}
	}
	return out
}

// set sets the field at p in the struct v to value, creating the objects
// on the way; a nil value leaves the leaf nil (JSON null or absent).
func (p wirePath) set(v reflect.Value, value any) {
	for n, st := range p {
		f := v.Field(st.field)
		if n < len(p)-1 {
			if f.Kind() == reflect.Pointer {
				if f.IsNil() {
					f.Set(reflect.New(f.Type().Elem()))
				}
				f = f.Elem()
			}
			v = f
			continue
		}
		if value == nil {
			return
		}
		x := reflect.ValueOf(value)
		if f.Kind() == reflect.Pointer {
			ptr := reflect.New(f.Type().Elem())
			ptr.Elem().Set(x.Convert(f.Type().Elem()))
			f.Set(ptr)
			return
		}
		f.Set(x.Convert(f.Type()))
	}
}

// get reads the value at p in v. A nil pointer, an index out of range or
// an empty string is absent.
func (p wirePath) get(v reflect.Value) (any, bool) {
	for _, st := range p {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil, false
			}
			v = v.Elem()
		}
		if st.slice {
			if st.index >= v.Len() {
				return nil, false
			}
			v = v.Index(st.index)
			continue
		}
		v = v.Field(st.field)
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
