package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const setsHdr = "version: 1\nagents: {}\nsecretSets:\n"

// TestSecretSetsValid checks what a declared secret set loads into: names
// of variables and positions, never values.
func TestSecretSetsValid(t *testing.T) {
	doc := setsHdr + `  voice-secrets:
    region: us-west
    restartOnChange: true
    secrets:
      OPENAI_API_KEY: {fromEnv: OPENAI_API_KEY}
      daily-key:
        fromEnv: DAILY_KEY
  ghcr.pull:
    region: eu-central
    imagePull: {host: "https://ghcr.io", fromEnv: GHCR_PULL_TOKEN}
prune:
  secretSets: true
`
	cfg, err := Parse(context.Background(), "pipecat.yaml", []byte(doc), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []SecretSet{
		{Name: "ghcr.pull", Pos: Position{11, 3},
			Spec:     SecretSetSpec{Region: "eu-central", ImagePull: &ImagePull{Host: "https://ghcr.io", FromEnv: "GHCR_PULL_TOKEN"}},
			FieldPos: map[string]Position{"region": {12, 13}, "imagePull": {13, 5}, "imagePull.host": {13, 23}, "imagePull.fromEnv": {13, 51}}},
		{Name: "voice-secrets", Pos: Position{4, 3},
			Spec: SecretSetSpec{Region: "us-west", RestartOnChange: true, Secrets: map[string]SecretSource{
				"OPENAI_API_KEY": {FromEnv: "OPENAI_API_KEY"}, "daily-key": {FromEnv: "DAILY_KEY"}}},
			FieldPos: map[string]Position{"region": {5, 13}, "restartOnChange": {6, 22}, "secrets": {7, 5},
				"secrets.OPENAI_API_KEY": {8, 7}, "secrets.OPENAI_API_KEY.fromEnv": {8, 33},
				"secrets.daily-key": {9, 7}, "secrets.daily-key.fromEnv": {10, 18}}},
	}
	if diff := cmp.Diff(want, cfg.SecretSets); diff != "" {
		t.Errorf("secret sets (-want +got):\n%s", diff)
	}
	if !cfg.Prune.SecretSets || cfg.Prune.Enabled {
		t.Errorf("prune = %+v, want secretSets only", cfg.Prune)
	}
	if got := cfg.SecretSets[0].Spec.Type(); got != SecretTypeImagePullSecret {
		t.Errorf("type of an imagePull set = %q", got)
	}
	if got := cfg.SecretSets[1].Spec.Type(); got != SecretTypeSecret {
		t.Errorf("type of a secrets set = %q", got)
	}
}

// TestSecretSetsInvalid checks each mistake is an error at its key or
// value, with a hint where one helps.
func TestSecretSetsInvalid(t *testing.T) {
	tests := []struct {
		name, sets string
		want, hint string
	}{
		{"bad set name", "  Bad_Name:\n    region: us-west\n    secrets: {A: {fromEnv: X}}\n",
			`pipecat.yaml:4:3: secretSets.Bad_Name: invalid secret set name "Bad_Name": a name is 3 to 63 lowercase letters, digits and hyphens, in dot-separated parts that start and end with a letter or digit`, ""},
		{"set name too short", "  ab:\n    region: us-west\n    secrets: {A: {fromEnv: X}}\n",
			`pipecat.yaml:4:3: secretSets.ab: invalid secret set name "ab": a name is 3 to 63 lowercase letters, digits and hyphens, in dot-separated parts that start and end with a letter or digit`, ""},
		{"both secrets and imagePull", "  both:\n    region: us-west\n    secrets: {A: {fromEnv: X}}\n    imagePull: {host: \"https://ghcr.io\", fromEnv: Y}\n",
			`pipecat.yaml:4:3: secretSets.both: exactly one of secrets and imagePull is required`,
			"write secrets: for a set of keys (type secret), or imagePull: for registry credentials (type imagePullSecret)"},
		{"neither secrets nor imagePull", "  none:\n    region: us-west\n",
			`pipecat.yaml:4:3: secretSets.none: exactly one of secrets and imagePull is required`,
			"write secrets: for a set of keys (type secret), or imagePull: for registry credentials (type imagePullSecret)"},
		{"no region", "  app-secrets:\n    secrets: {A: {fromEnv: X}}\n",
			`pipecat.yaml:4:3: secretSets.app-secrets: missing required key "region"`, ""},
		{"unknown field", "  app-secrets:\n    region: us-west\n    secrets: {A: {fromEnv: X}}\n    restartOnChnage: true\n",
			`pipecat.yaml:7:5: secretSets.app-secrets.restartOnChnage: unknown key "restartOnChnage"`, `did you mean "restartOnChange"?`},
		{"a value in the file", "  app-secrets:\n    region: us-west\n    secrets: {A: {value: sk-1}}\n",
			`pipecat.yaml:6:15: secretSets.app-secrets.secrets.A: missing required key "fromEnv"`, ""},
		{"bad key name", "  app-secrets:\n    region: us-west\n    secrets: {\"A B\": {fromEnv: X}}\n",
			`pipecat.yaml:6:15: secretSets.app-secrets.secrets.A B: invalid secret key "A B": a key is 1 to 64 letters, digits, underscores and hyphens`, ""},
		{"reserved key", "  app-secrets:\n    region: us-west\n    secrets: {pipecat_gitops_fp: {fromEnv: X}}\n",
			`pipecat.yaml:6:15: secretSets.app-secrets.secrets.pipecat_gitops_fp: key "pipecat_gitops_fp" starts with the reserved prefix PIPECAT_GITOPS_`,
			"pipecat-gitops keeps the fingerprint of the set's values under that prefix; choose another name"},
		{"fromEnv not a variable name", "  app-secrets:\n    region: us-west\n    secrets: {A: {fromEnv: \"1X\"}}\n",
			`pipecat.yaml:6:28: secretSets.app-secrets.secrets.A.fromEnv: "1X" is not an environment variable name: letters, digits and underscores, not starting with a digit`, ""},
		{"fromEnv the API key", "  app-secrets:\n    region: us-west\n    secrets: {A: {fromEnv: PIPECAT_API_KEY}}\n",
			`pipecat.yaml:6:28: secretSets.app-secrets.secrets.A.fromEnv: fromEnv "PIPECAT_API_KEY" is refused: PIPECAT_API_KEY holds a credential of pipecat-gitops or of the GitHub Actions runner; a secret set must not carry it to every agent`,
			"map the value into another variable"},
		{"fromEnv the GitHub token, in lower case", "  ghcr-pull:\n    region: us-west\n    imagePull: {host: \"https://ghcr.io\", fromEnv: github_token}\n",
			`pipecat.yaml:6:51: secretSets.ghcr-pull.imagePull.fromEnv: fromEnv "github_token" is refused: github_token holds a credential of pipecat-gitops or of the GitHub Actions runner; a secret set must not carry it to every agent`,
			"map the value into another variable"},
		{"fromEnv a runner variable", "  app-secrets:\n    region: us-west\n    secrets: {A: {fromEnv: RUNNER_TEMP}}\n",
			`pipecat.yaml:6:28: secretSets.app-secrets.secrets.A.fromEnv: fromEnv "RUNNER_TEMP" is refused: RUNNER_TEMP is a variable of the GitHub Actions runner itself, not a value for agents`,
			"map the value into another variable"},
		{"host without a scheme", "  ghcr-pull:\n    region: us-west\n    imagePull: {host: ghcr.io, fromEnv: T}\n",
			`pipecat.yaml:6:23: secretSets.ghcr-pull.imagePull.host: "ghcr.io" is not a URL with a scheme`,
			"write the registry URL in full, e.g. https://ghcr.io or https://index.docker.io/v1/"},
		{"restartOnChange on an image pull set", "  ghcr-pull:\n    region: us-west\n    restartOnChange: true\n    imagePull: {host: \"https://ghcr.io\", fromEnv: T}\n",
			`pipecat.yaml:6:5: secretSets.ghcr-pull.restartOnChange: restartOnChange applies to sets of type secret only`,
			"remove restartOnChange: an image pull secret is read when an image is pulled, so running agents need no restart"},
		{"empty secrets", "  app-secrets:\n    region: us-west\n    secrets: {}\n",
			`pipecat.yaml:6:14: secretSets.app-secrets.secrets: has 0 keys; at least 1 is required`, ""},
		{"prune.secretSets not a boolean", "  app-secrets:\n    region: us-west\n    secrets: {A: {fromEnv: X}}\nprune: {secretSets: \"yes\"}\n",
			`pipecat.yaml:7:21: prune.secretSets: expected boolean, got string`, "YAML 1.2 booleans are true and false: write secretSets: true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, setsHdr+tt.sets, nil)
			e := errs[0]
			got := strings.SplitN(e.Error(), "\n", 2)[0]
			if got != tt.want {
				t.Errorf("first error:\n got %s\nwant %s\n(all: %v)", got, tt.want, errs)
			}
			if e.Hint != tt.hint {
				t.Errorf("hint = %q, want %q", e.Hint, tt.hint)
			}
		})
	}
}

// TestValidateSecretSet: a saved plan's sets are checked as Load checks
// the file, so a hand-edited plan cannot point a set at the API key.
func TestValidateSecretSet(t *testing.T) {
	tests := []struct {
		name string
		set  string
		spec SecretSetSpec
		want []string
	}{
		{"valid", "app-secrets", SecretSetSpec{Region: "us-west", Secrets: map[string]SecretSource{"A": {FromEnv: "X"}}}, nil},
		{"API key", "app-secrets", SecretSetSpec{Region: "us-west", Secrets: map[string]SecretSource{"A": {FromEnv: "PIPECAT_API_KEY"}}},
			[]string{"secrets.A.fromEnv: PIPECAT_API_KEY holds a credential of pipecat-gitops or of the GitHub Actions runner; a secret set must not carry it to every agent"}},
		{"reserved key and bad name", "ab", SecretSetSpec{Region: "us-west", Secrets: map[string]SecretSource{"PIPECAT_GITOPS_FP_1": {FromEnv: "X"}}},
			[]string{"name: 2 characters long; the minimum is 3",
				"secrets.PIPECAT_GITOPS_FP_1: starts with the reserved prefix PIPECAT_GITOPS_"}},
		{"neither type", "app-secrets", SecretSetSpec{Region: "us-west"}, []string{"exactly one of secrets and imagePull is required"}},
		{"image pull with restart", "pull", SecretSetSpec{Region: "us-west", RestartOnChange: true, ImagePull: &ImagePull{Host: "https://ghcr.io", FromEnv: "GITHUB_TOKEN"}},
			[]string{"imagePull.fromEnv: GITHUB_TOKEN holds a credential of pipecat-gitops or of the GitHub Actions runner; a secret set must not carry it to every agent",
				"restartOnChange: applies to sets of type secret only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ValidateSecretSet(tt.set, &tt.spec)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretSourcesNeverExpanded: a variable that holds a secret set's
// value is a secret, whatever its name: ${VAR} would put it into the
// plan and the pull-request comment. Refused by name (even in a default),
// and by value under another name; no error quotes the value.
func TestSecretSourcesNeverExpanded(t *testing.T) {
	const value = "sk-SECRETVALUE-deepgram-91ab"
	sets := "secretSets:\n  app-secrets:\n    region: us-west\n    secrets: {DEEPGRAM: {fromEnv: DG_KEY}}\n"
	tests := []struct {
		name, image string
		env         map[string]string
		want        string
	}{
		{"by name", "acme/bot:${DG_KEY}", map[string]string{"DG_KEY": value},
			`pipecat.yaml:4:12: agents.bot.image: ${DG_KEY} holds a value of secret set app-secrets (fromEnv); it is never expanded`},
		{"by name, unset", "acme/bot:${DG_KEY}", nil,
			`pipecat.yaml:4:12: agents.bot.image: ${DG_KEY} holds a value of secret set app-secrets (fromEnv); it is never expanded`},
		{"in a default", "acme/bot:${TAG:-${DG_KEY}}", map[string]string{"TAG": "1", "DG_KEY": value},
			`pipecat.yaml:4:12: agents.bot.image: ${DG_KEY} holds a value of secret set app-secrets (fromEnv); it is never expanded`},
		{"a copy under another name", "acme/bot:${COPY}", map[string]string{"DG_KEY": value, "COPY": value},
			`pipecat.yaml:4:12: agents.bot.image: ${COPY} holds the value of DG_KEY; it is never expanded`},
		{"written in the file", "acme/bot:" + value, map[string]string{"DG_KEY": value},
			`pipecat.yaml:4:12: agents.bot.image: the value holds the value of DG_KEY; credentials never go into the config`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "version: 1\nagents:\n  bot:\n    image: " + tt.image + "\n" + sets
			errs := parseErrors(t, doc, tt.env)
			if got := strings.SplitN(errs[0].Error(), "\n", 2)[0]; got != tt.want {
				t.Errorf("first error:\n got %s\nwant %s", got, tt.want)
			}
			for _, e := range errs {
				if strings.Contains(e.Msg+e.Path+e.Hint, value) {
					t.Errorf("an error quotes the value: %v", e)
				}
			}
		})
	}
	// The variable is only refused where it would be shown: as a
	// fromEnv it loads.
	if _, err := Parse(context.Background(), "pipecat.yaml", []byte("version: 1\nagents: {}\n"+sets), LoadOptions{Lookup: envOf(map[string]string{"DG_KEY": value})}); err != nil {
		t.Errorf("a set naming DG_KEY does not load: %v", err)
	}
}
