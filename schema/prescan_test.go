package schema

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// builtNodes counts the nodes yaml.v3 builds for data, as parseYAML
// decodes it (two documents at most); ok is false when it does not parse.
func builtNodes(data []byte) (n int, ok bool) {
	defer func() {
		if recover() != nil {
			n, ok = 0, false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for range 2 {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, false
		}
		var walk func(*yaml.Node)
		walk = func(x *yaml.Node) {
			n++
			for _, c := range x.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
	return n, true
}

// estimateSeeds are the shapes that cost the most nodes for their text,
// and texts that could hide nodes from a scanner.
var estimateSeeds = []string{
	"{1,1,1,1}",
	"[1,1,1,1]",
	"{a, b, c}",
	"[a:]",
	"[a: , b:, c: ]",
	"{a: }",
	"{? }",
	"[? a, ? b]",
	"[a: b, c: d, e: ]",
	"? \n? \n? a\n",
	"?\n",
	"-\n-\n-\n",
	"- - - -\n",
	"[&a , !!str , *a, &b ]",
	"a: &x\nb: !!str\nc: *x\n",
	"[[],[],[[]]]",
	"{a: {b: {c: {}}}}",
	"'it''s': [1, 2]",
	"a: \"b #c\"\nb: [1, 2]\n",
	"[\"a #\", 1, 2, 3]\n",
	"[ 'x\n  # y' , 1]\n",
	"{a: 'x\n # y', b: [1]}",
	"a: b # c, d, [e]\n",
	"# a comment with 'quotes' [1,2,3]\nb: 1\n",
	"a: |\n  # not a comment [1,2]\n  x\nb: [1,2]\n",
	"\ufeffa: 1\n",
	"---\n---\n",
	"a\n---\n[1,2,3]\n",
	"{\"a\":1,\"b\":[2,3]}",
	"a:\n- b\n- c: d\n  e: f\n",
	"key:\tvalue\n",
	"a: b\r\nc: [d,e]\r\n",
}

// TestNodeEstimateBounds checks that the estimate is never below the
// nodes yaml.v3 builds, on the seeds and the example configs.
func TestNodeEstimateBounds(t *testing.T) {
	inputs := estimateSeeds
	for _, p := range []string{"../examples/pipecat.yaml", "../examples/minimal.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(data))
	}
	for _, in := range inputs {
		n, ok := builtNodes([]byte(in))
		if !ok {
			t.Errorf("seed does not parse: %q", in)
			continue
		}
		if est, _ := nodeEstimate([]byte(in), 1<<62); est < n {
			t.Errorf("estimate %d < %d nodes for %q", est, n, in)
		}
	}
}

// TestNodeEstimateOfConfigs checks that real configs cost at most four
// per node, so that any file within maxNodes passes maxTokens.
func TestNodeEstimateOfConfigs(t *testing.T) {
	data := manyAgents(2000)
	n, _ := builtNodes(data)
	est, _ := nodeEstimate(data, 1<<62)
	if est > maxTokens/maxNodes*n {
		t.Errorf("estimate %d for %d nodes: more than %d per node", est, n, maxTokens/maxNodes)
	}
	t.Logf("%d nodes, estimate %d (%.2f per node)", n, est, float64(est)/float64(n))
}

// FuzzNodeEstimate checks that the estimate bounds the nodes yaml.v3
// builds for any text Parse would give it.
func FuzzNodeEstimate(f *testing.F) {
	for _, s := range estimateSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The text as Parse hands it over: UTF-8, no line breaks but LF
		// and CRLF.
		if len(data) > 4096 || invalidUTF8(data) >= 0 || unusualBreak(data) >= 0 {
			return
		}
		data = loneCRToLF(data)
		n, ok := builtNodes(data)
		if !ok {
			return
		}
		if est, _ := nodeEstimate(data, 1<<62); est < n {
			t.Fatalf("estimate %d < %d nodes for %q", est, n, strings.Clone(string(data)))
		}
	})
}
