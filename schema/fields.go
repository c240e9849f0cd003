package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Field is one managed leaf of a Spec.
type Field struct {
	// Path is the config path relative to the agent: "image",
	// "autoScaling.maxAgents".
	Path string
	// Value is a string, int, bool, or nil for JSON null.
	Value any
	// WriteOnly fields are sent to the API but never returned by it, so
	// a plan cannot compare them with the live agent.
	WriteOnly bool
	// Immutable fields cannot change in place: a change replaces the agent.
	Immutable bool
	// Wire is the dotted name in create and update requests
	// ("autoScaling.minAgents"); "" for a field never sent as such.
	Wire string
	// Live lists where the API's agent details carry the field, dotted
	// JSON paths tried in order; nil for a write-only field.
	Live []string
	// Default is what the platform applies when the answer leaves the
	// field out; nil when absence means unmanaged.
	Default any
	// PCC is the pcc-deploy.toml key that maps to the field, if any.
	PCC string
	// Kind is the JSON type of the value: string, integer or boolean.
	Kind string
}

// Fields lists the managed leaves of s, in the order of the Spec struct,
// which is the order plans show them in.
func (s *Spec) Fields() []Field {
	if s == nil {
		return nil
	}
	var out []Field
	for _, l := range specLeaves() {
		if v, ok := l.get(reflect.ValueOf(s).Elem()); ok {
			out = append(out, l.field(v))
		}
	}
	return out
}

// Get returns the value of the leaf at path and whether s manages it.
func (s *Spec) Get(path string) (any, bool) {
	if s == nil {
		return nil, false
	}
	if i, ok := leafIndex()[path]; ok {
		return specLeaves()[i].get(reflect.ValueOf(s).Elem())
	}
	return nil, false
}

// Clone returns a deep copy of s.
func (s *Spec) Clone() *Spec {
	if s == nil {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("clone spec: %v", err)) // only strings, ints, bools
	}
	var out Spec
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("clone spec: %v", err))
	}
	return &out
}

// AllFields lists every leaf a Spec can hold, managed or not, with a nil
// Value, in the order of the Spec struct. The slice is shared: callers
// must not modify it.
func AllFields() []Field { return allSpecFields() }

var allSpecFields = sync.OnceValue(func() []Field {
	var out []Field
	for _, l := range specLeaves() {
		out = append(out, l.field(nil))
	}
	return out
})

// leafIndex maps a leaf's path to its index in specLeaves.
var leafIndex = sync.OnceValue(func() map[string]int {
	m := map[string]int{}
	for i, l := range specLeaves() {
		m[l.Path] = i
	}
	return m
})

// leaf is one pointer field reachable from Spec through pointers to
// structs; index is its reflect index path.
type leaf struct {
	Field
	index []int
	// nullable leaves (no omitempty) are managed whenever their parent
	// object is, with nil meaning null.
	nullable bool
}

func (l leaf) field(v any) Field {
	f := l.Field
	f.Value = v
	return f
}

var specLeaves = sync.OnceValue(func() []leaf {
	var out []leaf
	var walk func(t reflect.Type, prefix, wirePrefix string, index []int)
	walk = func(t reflect.Type, prefix, wirePrefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				panic(fmt.Sprintf("spec field %s has no JSON name", f.Name))
			}
			if f.Type.Kind() != reflect.Pointer {
				panic(fmt.Sprintf("spec field %s is not a pointer", f.Name))
			}
			idx := append(index[:len(index):len(index)], i)
			path := prefix + name
			wire := f.Tag.Get("wire")
			switch {
			case wirePrefix == "-" || wire == "-":
				wire = "-"
			case wire == "":
				wire = wirePrefix + name
			default:
				wire = wirePrefix + wire
			}
			if f.Type.Elem().Kind() == reflect.Struct {
				next := wire + "."
				if wire == "-" {
					next = "-"
				}
				walk(f.Type.Elem(), path+".", next, idx)
				continue
			}
			l := leaf{index: idx, nullable: !strings.Contains(opts, "omitempty"),
				Field: Field{Path: path, Immutable: f.Tag.Get("diff") == "immutable", PCC: f.Tag.Get("pcc"),
					Kind: map[reflect.Kind]string{reflect.String: "string", reflect.Int: "integer", reflect.Bool: "boolean"}[f.Type.Elem().Kind()]}}
			if l.Kind == "" {
				panic(fmt.Sprintf("spec field %s is no string, int or bool", path))
			}
			if wire != "-" {
				l.Wire = wire
			}
			if live := f.Tag.Get("live"); live != "" {
				l.Live = strings.Split(live, "|")
			} else {
				l.WriteOnly = true
			}
			if d, ok := f.Tag.Lookup("default"); ok {
				p := reflect.New(f.Type.Elem())
				if err := json.Unmarshal([]byte(d), p.Interface()); err != nil {
					panic(fmt.Sprintf("spec field %s: default %q: %v", path, d, err))
				}
				l.Default = p.Elem().Interface()
			}
			out = append(out, l)
		}
	}
	walk(reflect.TypeFor[Spec](), "", "", nil)
	return out
})

// get follows the leaf's pointers from the Spec value v.
func (l leaf) get(v reflect.Value) (any, bool) {
	for n, i := range l.index {
		f := v.Field(i)
		last := n == len(l.index)-1
		if f.IsNil() {
			// A nullable leaf of a managed object is null; anything else
			// that is nil is unmanaged.
			return nil, last && l.nullable
		}
		if last {
			return f.Elem().Interface(), true
		}
		v = f.Elem()
	}
	return nil, false
}

// Set sets the leaf at path to value (a string, int or bool, or nil),
// creating the objects on the way. nil unmanages a leaf, except a nullable
// one (krispViva.audioFilter), which it makes a managed null. It panics on
// a path that is no leaf of Spec or a value of another kind: both are
// programming errors.
func (s *Spec) Set(path string, value any) {
	i, ok := leafIndex()[path]
	if !ok {
		panic(fmt.Sprintf("spec has no field %s", path))
	}
	specLeaves()[i].set(reflect.ValueOf(s).Elem(), value)
}

func (l leaf) set(v reflect.Value, value any) {
	for n, i := range l.index {
		f := v.Field(i)
		if n == len(l.index)-1 {
			if value == nil {
				f.Set(reflect.Zero(f.Type()))
				return
			}
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(reflect.ValueOf(value).Convert(f.Type().Elem()))
			f.Set(p)
			return
		}
		if f.IsNil() {
			if value == nil && !l.nullable {
				return
			}
			f.Set(reflect.New(f.Type().Elem()))
		}
		v = f.Elem()
	}
}
