package plan

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRequestBodies pins what apply sends: the managed fields and nothing
// else, buildId on create and update, never serviceName or region on
// update, and a disabled Krisp VIVA as an explicit null.
func TestRequestBodies(t *testing.T) {
	full := Spec{
		Image: sp("acme/bot:1.0"), Region: sp("eu-central"), SecretSet: sp("bot-secrets"),
		AutoScaling: &AutoScaling{MinAgents: ip(0)}, KrispViva: &KrispViva{}, MaxSessionDuration: ip(600),
	}
	build := Spec{BuildID: sp("123e4567-e89b-12d3-a456-426614174000"), Region: sp("us-west")}
	tests := []struct {
		name string
		body any
		want string
	}{
		{"create sends every managed field", CreateRequest("bot", &full),
			`{"serviceName":"bot","image":"acme/bot:1.0","region":"eu-central","secretSet":"bot-secrets","autoScaling":{"minAgents":0},"krispViva":{"audioFilter":null},"maxSessionDuration":600}`},
		{"update leaves out serviceName and region", UpdateRequest(&full),
			`{"image":"acme/bot:1.0","secretSet":"bot-secrets","autoScaling":{"minAgents":0},"krispViva":{"audioFilter":null},"maxSessionDuration":600}`},
		{"create of a build agent sends buildId", CreateRequest("built", &build),
			`{"serviceName":"built","buildId":"123e4567-e89b-12d3-a456-426614174000","region":"us-west"}`},
		{"update of a build agent sends buildId", UpdateRequest(&build),
			`{"buildId":"123e4567-e89b-12d3-a456-426614174000"}`},
		{"nothing managed sends nothing", UpdateRequest(&Spec{}), `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}
