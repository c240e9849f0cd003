package main

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// TestPrintErrorSource checks how config errors are printed: the first
// line as before, then the source line with a caret under the column,
// everything a terminal or CI log would not show as text escaped.
func TestPrintErrorSource(t *testing.T) {
	tests := []struct {
		name string
		err  *schema.Error
		want string
	}{
		{"caret under the column",
			&schema.Error{File: "p.yaml", Line: 7, Col: 18, Path: "a.b", Msg: "bad", Hint: "fix it", Source: "    autoScaling: {x}", SourceCol: 18},
			"p.yaml:7:18: a.b: bad\n    7 |     autoScaling: {x}\n      |                  ^\nhint: fix it\n"},
		{"a long line number widens the gutter",
			&schema.Error{File: "p.yaml", Line: 123456, Col: 3, Msg: "bad", Source: "a: b", SourceCol: 3},
			"p.yaml:123456:3: bad\n123456 | a: b\n       |   ^\n"},
		{"escapes before the column move the caret",
			&schema.Error{File: "p.yaml", Line: 1, Col: 4, Msg: "bad", Source: "\t\x01\xffx", SourceCol: 4},
			"p.yaml:1:4: bad\n    1 | \\t\\x01\\xffx\n      |           ^\n"},
		{"a column past the end of the line",
			&schema.Error{File: "p.yaml", Line: 2, Col: 8, Msg: "bad", Source: "agents:", SourceCol: 8},
			"p.yaml:2:8: bad\n    2 | agents:\n      |        ^\n"},
		{"a key cannot start a line of its own",
			&schema.Error{File: "p.yaml", Line: 1, Col: 1, Path: "x\n::error::owned", Msg: "unknown key", Source: "\"x\\n::error::owned\": 1", SourceCol: 1},
			"p.yaml:1:1: x\\x0a::error::owned: unknown key\n    1 | \"x\\n::error::owned\": 1\n      | ^\n"},
		{"no source, no lines",
			&schema.Error{File: "p.yaml", Line: 1, Col: 1, Msg: "bad"},
			"p.yaml:1:1: bad\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printError(&b, schema.Errors{tt.err})
			want := tt.want + "pipecat-gitops: error: p.yaml: 1 error\n"
			if diff := cmp.Diff(want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrintErrorAPIText: an error message from the network is data. A
// server's message with a terminal escape or a workflow command on a line
// of its own is printed escaped, and no line begins with "::".
func TestPrintErrorAPIText(t *testing.T) {
	err := withHint(fmt.Errorf("list agents: %w", &cloud.Error{Method: "GET", Path: "/v1/agents", Status: 500,
		Code: "INTERNAL", Message: "boom\n::add-mask::x\n\x1b]8;;http://evil\x07link\x1b[2J ##[error]legacy"}), "try\n::stop-commands::t")
	var b bytes.Buffer
	printError(&b, err)
	want := "pipecat-gitops: error: list agents: GET /v1/agents: 500 INTERNAL: boom\n" +
		`\x3a:add-mask::x` + "\n" +
		`\x1b]8;;http://evil\x07link\x1b[2J #\x23[error]legacy` + "\n" +
		"hint: try\n" + `\x3a:stop-commands::t` + "\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("printed (-want +got):\n%s", diff)
	}
}
