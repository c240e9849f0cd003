package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apiKey is a distinctive credential: no error may ever show it.
const apiKey = "pk_Distinctive_Secret_7f3a9c"

// TestCredentialsNeverExpanded checks that no credential reaches a config
// value through ${VAR}, by its name or by its value, and that no error
// quotes one.
func TestCredentialsNeverExpanded(t *testing.T) {
	secrets := map[string]string{"PIPECAT_API_KEY": apiKey, "GITHUB_TOKEN": "ghs_Distinctive_Token_11"}
	env := map[string]string{
		"PIPECAT_API_KEY":                apiKey,
		"GITHUB_TOKEN":                   "ghs_Distinctive_Token_11",
		"ACTIONS_RUNTIME_TOKEN":          "rt",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "idt",
		"RUNNER_TOKEN":                   "rnt",
		"NPM_TOKEN":                      "npm",
		"AWS_SECRET_ACCESS_KEY":          "aws",
		"MY_KEY":                         apiKey,
		"BEARER":                         "Bearer " + apiKey,
		"SHOUTED":                        strings.ToUpper(apiKey),
		"HALF1":                          apiKey[:10],
		"HALF2":                          apiKey[10:],
		"IMAGE_TAG":                      "1.4.0",
		"PULL_SECRET":                    "ghcr-pull",
	}
	hint := "config values are sent to the API and shown in plans and pull-request comments; keep secrets in a secret set and name it with secretSet"
	tests := []struct {
		name string
		doc  string
		want string // first error
	}{
		{"the API key by name", hdr + "  bot:\n    image: acme/a:${PIPECAT_API_KEY}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${PIPECAT_API_KEY} is a credential; it is never expanded`},
		{"the GitHub token by name", hdr + "  bot:\n    image: a:1\n    secretSet: ${GITHUB_TOKEN}\n",
			`pipecat.yaml:5:16: agents.bot.secretSet: ${GITHUB_TOKEN} is a credential; it is never expanded`},
		{"the runtime token of Actions", hdr + "  bot:\n    image: a:${ACTIONS_RUNTIME_TOKEN}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${ACTIONS_RUNTIME_TOKEN} is a credential; it is never expanded`},
		{"the OIDC request token of Actions", hdr + "  bot:\n    image: a:${ACTIONS_ID_TOKEN_REQUEST_TOKEN}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${ACTIONS_ID_TOKEN_REQUEST_TOKEN} is a credential; it is never expanded`},
		{"a runner variable", hdr + "  bot:\n    image: a:${RUNNER_TOKEN}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${RUNNER_TOKEN} is a credential; it is never expanded`},
		{"another tool's token", hdr + "  bot:\n    image: a:${NPM_TOKEN}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${NPM_TOKEN} is a credential; it is never expanded`},
		{"a cloud secret key", hdr + "  bot:\n    image: a:1\n    region: ${AWS_SECRET_ACCESS_KEY}\n",
			`pipecat.yaml:5:13: agents.bot.region: ${AWS_SECRET_ACCESS_KEY} is a credential; it is never expanded`},
		{"a credential name in another case", hdr + "  bot:\n    image: a:${pipecat_api_key}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${pipecat_api_key} is a credential; it is never expanded`},
		{"a credential even when unset, behind a default", hdr + "  bot:\n    image: a:${PIPECAT_API_KEY:-1}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${PIPECAT_API_KEY} is a credential; it is never expanded`},
		{"a copy of the API key under another name", hdr + "  bot:\n    image: a:${MY_KEY}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${MY_KEY} holds the value of PIPECAT_API_KEY; it is never expanded`},
		{"a value holding the API key", hdr + "  bot:\n    image: a:1\n    secretSet: ${BEARER}\n",
			`pipecat.yaml:5:16: agents.bot.secretSet: ${BEARER} holds the value of PIPECAT_API_KEY; it is never expanded`},
		{"the API key in upper case", hdr + "  bot:\n    image: a:${SHOUTED}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${SHOUTED} holds the value of PIPECAT_API_KEY; it is never expanded`},
		{"the API key split over two variables", hdr + "  bot:\n    image: a:${HALF1}${HALF2}\n",
			`pipecat.yaml:4:12: agents.bot.image: the expanded value holds the value of PIPECAT_API_KEY; credentials never go into the config`},
		{"the API key as a default", hdr + "  bot:\n    image: a:${UNSET:-" + apiKey + "}\n",
			`pipecat.yaml:4:12: agents.bot.image: the expanded value holds the value of PIPECAT_API_KEY; credentials never go into the config`},
		{"the API key written in the file", hdr + "  bot:\n    image: a:1\n    secretSet: " + apiKey + "\n",
			`pipecat.yaml:5:16: agents.bot.secretSet: the value holds the value of PIPECAT_API_KEY; credentials never go into the config`},
		{"the API key as a key is redacted", hdr + "  bot:\n    image: a:1\n    " + apiKey + ": x\n",
			`pipecat.yaml:5:5: agents.bot.***: unknown key "***"`},
		{"the API key as an agent name is redacted", hdr + "  " + strings.ToLower(apiKey) + ": {image: a:1}\n",
			`pipecat.yaml:3:3: agents.***: invalid agent name "***": a name is 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("pipecat.yaml", []byte(tt.doc), LoadOptions{Lookup: envOf(env), Secrets: secrets})
			errs, ok := err.(Errors)
			if !ok || len(errs) == 0 {
				t.Fatalf("Parse = %v, want Errors", err)
			}
			if diff := cmp.Diff(tt.want, errs[0].Error()); diff != "" {
				t.Errorf("first error (-want +got):\n%s\nall:\n%v", diff, errs)
			}
			if strings.Contains(errs[0].Msg, "credential") {
				if diff := cmp.Diff(hint, errs[0].Hint); diff != "" {
					t.Errorf("hint (-want +got):\n%s", diff)
				}
			}
			for _, e := range errs {
				for _, s := range []string{e.Error(), e.Hint} {
					if low := strings.ToLower(s); strings.Contains(low, strings.ToLower(apiKey)) || strings.Contains(low, "ghs_distinctive") {
						t.Errorf("an error shows a credential: %q", s)
					}
				}
			}
		})
	}

	// Ordinary variables still expand, PULL_SECRET included: a bare
	// _SECRET suffix names a secret set, not a secret.
	cfg, err := Parse("pipecat.yaml", []byte(hdr+"  bot:\n    image: a:${IMAGE_TAG}\n    imagePullSecretSet: ${PULL_SECRET}\n"),
		LoadOptions{Lookup: envOf(env), Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if got := *cfg.Agents[0].Spec.Image + " " + *cfg.Agents[0].Spec.ImagePullSecretSet; got != "a:1.4.0 ghcr-pull" {
		t.Errorf("expanded %q, want %q", got, "a:1.4.0 ghcr-pull")
	}
}

// TestShortSecretsMatchWhole checks that a credential shorter than
// minSecretLen refuses only an exact copy, not every value containing it.
func TestShortSecretsMatchWhole(t *testing.T) {
	opts := LoadOptions{Lookup: envOf(map[string]string{"A": "x", "B": "box"}), Secrets: map[string]string{"PIPECAT_API_KEY": "x"}}
	if _, err := Parse("pipecat.yaml", []byte(hdr+"  bot:\n    image: a:${B}\n"), opts); err != nil {
		t.Errorf("a value containing a short credential: %v", err)
	}
	_, err := Parse("pipecat.yaml", []byte(hdr+"  bot:\n    image: a:1\n    region: ${A}\n"), opts)
	want := "pipecat.yaml:5:13: agents.bot.region: ${A} holds the value of PIPECAT_API_KEY; it is never expanded"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
