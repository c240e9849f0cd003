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
			out = append(out, Field{Path: l.path, Value: v, WriteOnly: l.writeOnly})
		}
	}
	return out
}

// Get returns the value of the leaf at path and whether s manages it.
func (s *Spec) Get(path string) (any, bool) {
	if s == nil {
		return nil, false
	}
	for _, l := range specLeaves() {
		if l.path == path {
			return l.get(reflect.ValueOf(s).Elem())
		}
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
// Value, in the order of the Spec struct.
func AllFields() []Field {
	var out []Field
	for _, l := range specLeaves() {
		out = append(out, Field{Path: l.path, WriteOnly: l.writeOnly})
	}
	return out
}

// leaf is one pointer field reachable from Spec through pointers to
// structs; index is its reflect index path.
type leaf struct {
	path      string
	index     []int
	writeOnly bool
	// nullable leaves (no omitempty) are managed whenever their parent
	// object is, with nil meaning null.
	nullable bool
}

var specLeaves = sync.OnceValue(func() []leaf {
	var out []leaf
	var walk func(t reflect.Type, prefix string, index []int, writeOnly bool)
	walk = func(t reflect.Type, prefix string, index []int, writeOnly bool) {
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
			wo := writeOnly || f.Tag.Get("diff") == "writeonly"
			if f.Type.Elem().Kind() == reflect.Struct {
				walk(f.Type.Elem(), path+".", idx, wo)
				continue
			}
			out = append(out, leaf{path: path, index: idx, writeOnly: wo,
				nullable: !strings.Contains(opts, "omitempty")})
		}
	}
	walk(reflect.TypeFor[Spec](), "", nil, false)
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
