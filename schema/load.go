// Package schema is the config loader of pipecat-gitops: it reads
// pipecat.yaml into the desired state of each agent and secret set, and
// holds the file's JSON Schema (pipecat.schema.json, embedded).
//
//   - Load and Parse expand ${VAR} in string values, validate against the
//     JSON Schema, check the rules a schema cannot express, and merge
//     defaults under every agent. They report every problem at once as
//     Errors, located by file, line, column and YAML path.
//   - A Spec's pointer fields are nil where the file leaves a field
//     unmanaged.
//   - Loading stops when its context is done, and hostile input is bounded
//     in size, values and depth.
//   - ConfigReference is the field reference generated from the schema
//     (docs/configuration.md, help config).
//   - Nothing here reads the environment: the caller passes
//     LoadOptions.Lookup and the credentials expansion must refuse.
package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxFileSize is the largest config file read; larger files are refused
// before parsing.
const MaxFileSize = 5 << 20

// maxDepth bounds nesting; the format itself is four levels deep.
const maxDepth = 32

// maxNodes bounds the work done on a file that parses: a config with a
// thousand agents holds about 15,000 YAML values.
const maxNodes = 100_000

// nodeAt returns the node that makes the count of nodes under n exceed
// limit, or nil.
func nodeAt(n *yaml.Node, limit int) *yaml.Node {
	count := 0
	var walk func(*yaml.Node) *yaml.Node
	walk = func(n *yaml.Node) *yaml.Node {
		if count++; count > limit {
			return n
		}
		for _, c := range n.Content {
			if found := walk(c); found != nil {
				return found
			}
		}
		return nil
	}
	return walk(n)
}

// LoadOptions is what Load and Parse read besides the file.
type LoadOptions struct {
	// Lookup resolves ${VAR} references; nil means no variable is set.
	Lookup func(name string) (string, bool)
	// Secrets maps the name of each credential the caller holds
	// (PIPECAT_API_KEY, GITHUB_TOKEN: see CredentialVars) to its value.
	// No variable holding one is expanded, no string value may hold one,
	// and no error message quotes one.
	Secrets map[string]string
}

// Load reads the config file at path and parses it with Parse. When ctx
// is done first, the error wraps ctx.Err().
func Load(ctx context.Context, path string, opts LoadOptions) (*Config, error) {
	data, err := readFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return Parse(ctx, path, data, opts)
}

// readFile reads at most MaxFileSize+1 bytes of path (one past the limit
// tells "at the limit" from "over it" without reading a huge file). A
// FIFO or a slow device is read until ctx is done: open(2) on a FIFO
// blocks until a writer comes, so it runs aside, and a read fails once
// ctx is done because a past deadline is set then.
func readFile(ctx context.Context, path string) ([]byte, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	var o opened
	select {
	case o = <-ch:
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("load config %s: %w", path, ctx.Err())
	}
	if o.err != nil {
		return nil, fmt.Errorf("read config: %w", o.err)
	}
	f := o.f
	defer f.Close()
	// A regular file has no deadlines, and needs none: it is read at once.
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if ctx.Err() != nil {
		return nil, fmt.Errorf("load config %s: %w", path, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return data, nil
}

// Parse parses the contents of a config file; file names it in errors and
// in Config.File. When the file is invalid the error is Errors; when ctx
// is done first, it wraps ctx.Err().
func Parse(ctx context.Context, file string, data []byte, opts LoadOptions) (*Config, error) {
	ss := newSecrets(opts.Secrets)
	cfg, errs, err := parse(ctx, file, data, opts.Lookup, ss)
	if err == nil {
		err = ctx.Err() // a result made while ctx ended is not used
	}
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", file, err)
	}
	if len(errs) > 0 {
		errs.attachSource(loneCRToLF(data))
		ss.redactErrors(errs)
		return nil, errs
	}
	return cfg, nil
}

// LooksLikeConfig reports whether data is a YAML mapping with a version
// or agents key: a config file, given where something else was expected
// (a saved plan, which is JSON without those keys).
func LooksLikeConfig(data []byte) bool {
	if len(data) > MaxFileSize || invalidUTF8(data) >= 0 {
		return false
	}
	data = loneCRToLF(data)
	if unusualBreak(data) >= 0 {
		return false
	}
	if _, at := nodeEstimate(data, maxTokens); at >= 0 {
		return false
	}
	doc, err := parseYAML(data)
	if err != nil || doc == nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return false
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i].Value; k == "version" || k == "agents" {
			return true
		}
	}
	return false
}

// checkEvery is how many nodes conversion handles between two looks at
// the context: a look is cheap, and 1,024 nodes take microseconds.
const checkEvery = 1024

// background runs f, a bounded step that cannot look at ctx itself, and
// returns ctx.Err() as soon as ctx is done, leaving f to finish aside
// (its result unused: f must not write what the caller reads after an
// error).
func background(ctx context.Context, f func()) error {
	if ctx.Done() == nil {
		f()
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func parse(ctx context.Context, file string, data []byte, lookupEnv func(string) (string, bool), ss secrets) (*Config, Errors, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if len(data) > MaxFileSize {
		return nil, Errors{{File: file, Line: 1, Col: 1,
			Msg: fmt.Sprintf("file is larger than %d MiB; refusing to parse it", MaxFileSize>>20)}}, nil
	}
	if off := invalidUTF8(data); off >= 0 {
		line, col := position(data, off)
		return nil, Errors{{File: file, Line: line, Col: col, Msg: "invalid UTF-8: the file must be UTF-8 encoded"}}, nil
	}
	data = loneCRToLF(data)
	if off := unusualBreak(data); off >= 0 {
		line, col := position(data, off)
		return nil, Errors{{File: file, Line: line, Col: col,
			Msg: "unsupported line break character (U+0085, U+2028 or U+2029)", Hint: "end lines with \\n"}}, nil
	}
	if _, at := nodeEstimate(data, maxTokens); at >= 0 {
		line, col := position(data, at)
		return nil, Errors{{File: file, Line: line, Col: col,
			Msg: fmt.Sprintf("more than %d YAML values (counted before parsing); refusing to parse the file", maxNodes)}}, nil
	}
	var (
		doc    *yaml.Node
		syntax *Error
	)
	if err := background(ctx, func() {
		var err error
		if doc, err = parseYAML(data); err != nil {
			syntax = syntaxError(ctx, file, data, err)
		}
	}); err != nil {
		return nil, nil, err
	}
	if syntax != nil {
		return nil, Errors{syntax}, nil
	}
	if doc == nil || len(doc.Content) == 0 {
		return nil, Errors{{File: file, Line: 1, Col: 1, Msg: "file is empty",
			Hint: "start with \"version: 1\" and an \"agents:\" map; see examples/minimal.yaml"}}, nil
	}
	root := doc.Content[0]
	if n := nodeAt(root, maxNodes); n != nil {
		return nil, Errors{{File: file, Line: n.Line, Col: n.Column,
			Msg: fmt.Sprintf("more than %d YAML values; refusing to process the file", maxNodes)}}, nil
	}
	// The variables that hold secret set values are secrets too: never
	// expanded, by name or by value (see secretsets.go).
	sources, values := secretSources(root, lookupEnv)
	l := &loader{ctx: ctx, file: file, exp: &expander{lookup: lookupEnv, secrets: ss.join(values), sources: sources},
		nodes: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{},
		display: map[string]string{}, bad: map[string]bool{}}
	defer func() { values.redactErrors(l.errs) }()
	l.root = root
	l.lastLine, l.lastCol = position(data, len(bytes.TrimRight(data, "\r\n")))
	tree, ok := l.convert(root, nil, "", 0)
	// Past maxCollected errors the report is cut anyway; stop working.
	if ok && l.dropped == 0 && l.ctxErr == nil {
		l.validate(tree)
	}
	var cfg *Config
	if l.dropped == 0 && l.ctxErr == nil {
		cfg = l.build(tree)
	}
	if l.ctxErr != nil {
		return nil, nil, l.ctxErr
	}
	if len(l.errs) > 0 {
		return nil, l.errs.sorted(l.dropped), nil
	}
	return cfg, nil, nil
}

type loader struct {
	ctx context.Context
	// ctxErr is ctx.Err() once seen; every phase stops then.
	ctxErr error
	// ticks counts calls of alive.
	ticks int
	file  string
	exp   *expander
	root  *yaml.Node
	errs  Errors
	// dropped counts errors past maxCollected.
	dropped int
	// lastLine and lastCol are just past the last character of the file.
	lastLine, lastCol int
	// Indexed by pathKey: the value node and key node of every entry, its
	// display path, and the entries left out of the tree because they were
	// already reported (so that the schema does not report them again).
	nodes   map[string]*yaml.Node
	keys    map[string]*yaml.Node
	display map[string]string
	bad     map[string]bool
}

// alive reports whether to go on working, looking at the context every
// checkEvery calls.
func (l *loader) alive() bool {
	if l.ctxErr != nil {
		return false
	}
	if l.ticks++; l.ticks%checkEvery == 0 {
		l.ctxErr = l.ctx.Err()
	}
	return l.ctxErr == nil
}

func pathKey(tokens []string) string { return strings.Join(tokens, "\x00") }

func (l *loader) errorAt(n *yaml.Node, path, hint, format string, args ...any) {
	if len(l.errs) >= maxCollected {
		l.dropped++
		return
	}
	if n == nil {
		n = l.root
	}
	line, col := max(n.Line, 1), max(n.Column, 1)
	if line > l.lastLine {
		// yaml.v3 puts an empty value at the end of the file ("---",
		// "agents:" with no newline) on the line after the last one.
		line, col = l.lastLine, l.lastCol
	}
	l.errs = append(l.errs, &Error{File: l.file, Line: line, Col: col,
		Path: path, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// convert turns a node into the JSON-like value the schema validates
// (map[string]any, []any, string, json.Number, bool, nil), recording where
// every value came from. It reports what YAML allows but this format does
// not: aliases, merge keys, custom tags, non-string keys, duplicate keys,
// excessive nesting, failed ${VAR} expansion. ok is false for such a value.
func (l *loader) convert(n *yaml.Node, tokens []string, disp string, depth int) (v any, ok bool) {
	if !l.alive() {
		return nil, false
	}
	k := pathKey(tokens)
	l.nodes[k], l.display[k] = n, disp
	if depth > maxDepth {
		l.errorAt(n, disp, "", "nested deeper than %d levels", maxDepth)
		return nil, false
	}
	if n.Kind == yaml.AliasNode {
		l.errorAt(n, disp, "set shared values once under defaults:", "YAML aliases are not supported")
		return nil, false
	}
	switch tag := n.ShortTag(); {
	case n.Kind == yaml.MappingNode && tag == "!!map":
		m := map[string]any{}
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			switch {
			case kn.Kind == yaml.AliasNode:
				l.errorAt(kn, disp, "", "YAML aliases are not supported")
				continue
			case kn.Kind != yaml.ScalarNode:
				l.errorAt(kn, disp, "", "a key must be a string")
				continue
			case kn.ShortTag() == "!!merge":
				l.errorAt(kn, disp, "set shared values once under defaults:", "YAML merge keys (<<) are not supported")
				continue
			}
			name := kn.Value
			ct := append(tokens[:len(tokens):len(tokens)], name)
			cd := name
			if disp != "" {
				cd = disp + "." + name
			}
			if f, dup := first[name]; dup {
				l.errorAt(kn, cd, "", "duplicate key %s (first at line %d)", quote(name), f.Line)
				continue
			}
			first[name] = kn
			l.keys[pathKey(ct)] = kn
			cv, ok := l.convert(vn, ct, cd, depth+1)
			if !ok {
				l.bad[pathKey(ct)] = true
				continue
			}
			m[name] = cv
		}
		return m, true
	case n.Kind == yaml.SequenceNode && tag == "!!seq":
		s := make([]any, 0, len(n.Content))
		for i, en := range n.Content {
			ct := append(tokens[:len(tokens):len(tokens)], strconv.Itoa(i))
			ev, ok := l.convert(en, ct, fmt.Sprintf("%s[%d]", disp, i), depth+1)
			if !ok {
				l.bad[pathKey(ct)] = true
			}
			s = append(s, ev)
		}
		return s, true
	case n.Kind == yaml.ScalarNode:
		return l.scalar(n, tag, disp)
	default:
		l.errorAt(n, disp, "", "unsupported YAML tag %s", quote(n.Tag))
		return nil, false
	}
}

func (l *loader) scalar(n *yaml.Node, tag, disp string) (any, bool) {
	switch tag {
	case "!!str", "!!timestamp":
		s, err := l.exp.expand(n.Value)
		if errors.Is(err, errSpent) {
			return nil, false
		}
		if err != nil {
			l.errorAt(n, disp, err.(*expandError).hint, "%s", err)
			return nil, false
		}
		return s, true
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			l.errorAt(n, disp, "", "invalid boolean %s", quote(n.Value))
			return nil, false
		}
		return b, true
	case "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			l.errorAt(n, disp, "", "invalid number %s", quote(n.Value))
			return nil, false
		}
		switch v := v.(type) {
		case int:
			return json.Number(strconv.Itoa(v)), true
		case int64:
			return json.Number(strconv.FormatInt(v, 10)), true
		case uint64:
			return json.Number(strconv.FormatUint(v, 10)), true
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				l.errorAt(n, disp, "", "%s is not a finite number", n.Value)
				return nil, false
			}
			return json.Number(strconv.FormatFloat(v, 'g', -1, 64)), true
		}
		l.errorAt(n, disp, "", "invalid number %s", quote(n.Value))
		return nil, false
	default:
		l.errorAt(n, disp, "", "unsupported YAML tag %s", quote(n.Tag))
		return nil, false
	}
}
