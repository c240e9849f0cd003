package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFieldChangeUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    FieldChange
		wantErr string
	}{
		{"integers stay int", `{"path":"autoScaling.maxAgents","before":10,"after":20}`, FieldChange{Path: "autoScaling.maxAgents", Before: 10, After: 20}, ""},
		{"strings, bools and null", `{"path":"x","before":"tel","after":null}`, FieldChange{Path: "x", Before: "tel"}, ""},
		{"bool", `{"path":"enableKrisp","before":false,"after":true}`, FieldChange{Path: "enableKrisp", Before: false, After: true}, ""},
		{"absent values are null", `{"path":"x"}`, FieldChange{Path: "x"}, ""},
		{"fraction refused", `{"path":"x","before":null,"after":1.5}`, FieldChange{}, "after: 1.5 is not an integer"},
		{"object refused", `{"path":"x","before":{"a":1},"after":null}`, FieldChange{}, "is not a string, integer, boolean or null"},
		{"unknown key refused", `{"path":"x","value":1}`, FieldChange{}, `unknown field "value"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got FieldChange
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
