package schema

import (
	"context"
	"fmt"
	"runtime"
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
	secrets := map[string]string{"PIPECAT_API_KEY": apiKey, "GITHUB_TOKEN": "ghs_Unmistakable_Token_11"}
	env := map[string]string{
		"PIPECAT_API_KEY":                apiKey,
		"GITHUB_TOKEN":                   "ghs_Unmistakable_Token_11",
		"ACTIONS_RUNTIME_TOKEN":          "rt",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "idt",
		"RUNNER_TOKEN":                   "rnt",
		"NPM_TOKEN":                      "npm",
		"AWS_SECRET_ACCESS_KEY":          "aws",
		"MY_KEY":                         apiKey,
		"BEARER":                         "Bearer " + apiKey,
		"SHOUTED":                        strings.ToUpper(apiKey),
		"HALF1":                          apiKey[:10],
		"HALF2":                          apiKey[10:20],
		"HALF3":                          apiKey[20:],
		"PREFIX16":                       apiKey[:16],
		"NO_PK":                          strings.TrimPrefix(apiKey, "pk_"),
		"DASHED":                         strings.ReplaceAll(apiKey, "_", "-"),
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
		{"a 16-character prefix of the API key", hdr + "  bot:\n    image: a:${PREFIX16}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${PREFIX16} holds the value of PIPECAT_API_KEY; it is never expanded`},
		{"the API key without pk_", hdr + "  bot:\n    image: a:${NO_PK}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${NO_PK} holds the value of PIPECAT_API_KEY; it is never expanded`},
		{"the API key with - for _", hdr + "  bot:\n    image: a:${DASHED}\n",
			`pipecat.yaml:4:12: agents.bot.image: ${DASHED} holds the value of PIPECAT_API_KEY; it is never expanded`},
		{"the API key split over three variables", hdr + "  bot:\n    image: a:${HALF1}${HALF2}${HALF3}\n",
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
			_, err := Parse(context.Background(), "pipecat.yaml", []byte(tt.doc), LoadOptions{Lookup: envOf(env), Secrets: secrets})
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
				for _, s := range []string{e.Error(), e.Hint, e.Source} {
					if low := strings.ToLower(s); strings.Contains(low, strings.ToLower(apiKey)) || strings.Contains(low, "ghs_unmistakable") {
						t.Errorf("an error shows a credential: %q", s)
					}
				}
			}
		})
	}

	// Ordinary variables still expand, PULL_SECRET included: a bare
	// _SECRET suffix names a secret set, not a secret.
	cfg, err := Parse(context.Background(), "pipecat.yaml", []byte(hdr+"  bot:\n    image: a:${IMAGE_TAG}\n    imagePullSecretSet: ${PULL_SECRET}\n"),
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
	if _, err := Parse(context.Background(), "pipecat.yaml", []byte(hdr+"  bot:\n    image: a:${B}\n"), opts); err != nil {
		t.Errorf("a value containing a short credential: %v", err)
	}
	_, err := Parse(context.Background(), "pipecat.yaml", []byte(hdr+"  bot:\n    image: a:1\n    region: ${A}\n"), opts)
	want := "pipecat.yaml:5:13: agents.bot.region: ${A} holds the value of PIPECAT_API_KEY; it is never expanded"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestShortSecretSetValuesNeverExpanded: a value of a secret set under
// minSecretLen characters is refused as the whole value of a variable
// under another name, in any case, as long values are.
func TestShortSecretSetValuesNeverExpanded(t *testing.T) {
	doc := hdr + "  bot:\n    image: a:${TAG}\n    secretSet: pins\nsecretSets:\n  pins:\n    region: us-west\n    secrets:\n      K: {fromEnv: PIN}\n"
	for _, tag := range []string{"4711", "ab12", "AB12"} {
		pin := strings.ToLower(tag)
		_, err := Parse(context.Background(), "pipecat.yaml", []byte(doc), LoadOptions{Lookup: envOf(map[string]string{"PIN": pin, "TAG": tag})})
		want := "pipecat.yaml:4:12: agents.bot.image: ${TAG} holds the value of PIN; it is never expanded"
		if err == nil || err.Error() != want {
			t.Errorf("TAG=%s, PIN=%s: err = %v, want %s", tag, pin, err, want)
		}
	}
	if _, err := Parse(context.Background(), "pipecat.yaml", []byte(doc), LoadOptions{Lookup: envOf(map[string]string{"PIN": "4711", "TAG": "1.4711"})}); err != nil {
		t.Errorf("a value holding a short secret value inside: %v", err)
	}
}

// TestExpansion checks references in defaults, one level deep, and that
// deeper nesting is refused rather than taken literally.
func TestExpansion(t *testing.T) {
	env := envOf(map[string]string{"A": "a", "B": "b", "EMPTY": ""})
	tests := []struct {
		name, in, want, err string
	}{
		{"plain", "x-${A}-y", "x-a-y", ""},
		{"default used", "${UNSET:-d}", "d", ""},
		{"default used when empty", "${EMPTY:-d}", "d", ""},
		{"reference in a default, used", "${UNSET:-${B}}", "b", ""},
		{"reference in a default, unused", "${A:-${B}}", "a", ""},
		{"unset reference in an unused default", "${A:-${UNSET}}", "a", ""},
		{"text around a reference in a default", "${UNSET:-v${B}-${UNSET2:-1}}", "vb-1", ""},
		{"literal ${ and } in a default", "${UNSET:-$${x}}", "${x}", ""},
		{"closing brace outside a reference is text", "a}b${A}}", "a}ba}", ""},
		{"unset reference in a used default", "${UNSET:-${UNSET2}}", "", "environment variable UNSET2 is not set"},
		{"two levels deep", "${UNSET:-${UNSET2:-${B}}}", "", `${...} nested more than one level deep in "${UNSET:-${UNSET2:-${B}}}"`},
		{"unterminated default", "${UNSET:-${B}", "", `unterminated ${ in "${UNSET:-${B}"`},
		{"unterminated reference in a default", "${UNSET:-${B", "", `unterminated ${ in "${UNSET:-${B"`},
		{"invalid name in a default", "${UNSET:-${1B}}", "", "invalid variable reference ${1B}"},
		{"credential in an unused default", "${A:-${GITHUB_TOKEN}}", "", "${GITHUB_TOKEN} is a credential; it is never expanded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &expander{lookup: env}
			got, err := x.expand(tt.in)
			if gotErr := fmt.Sprint(err); tt.err != "" || err != nil {
				if diff := cmp.Diff(tt.err, gotErr); diff != "" {
					t.Fatalf("error (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestExpansionBounds checks that expansion refuses a value or a file
// past its bound at the value's line, and computes nothing big first.
func TestExpansionBounds(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	env := map[string]string{"BIG": big, "K60": strings.Repeat("k", 60<<10), "TAG": "1.0"}
	tests := []struct {
		name string
		doc  string
		want string // one of the errors
		n    int    // errors saying so
	}{
		{"one large variable", hdr + "  bot:\n    image: a:1\n    region: ${BIG}\n",
			"pipecat.yaml:5:13: agents.bot.region: expanding ${BIG} makes the value longer than 64 KiB", 1},
		{"2,000 references to a large variable in one value", hdr + "  bot:\n    image: a:" + strings.Repeat("${BIG}", 2000) + "\n",
			"pipecat.yaml:4:12: agents.bot.image: expanding ${BIG} makes the value longer than 64 KiB", 1},
		{"literal text past the bound", hdr + "  bot:\n    image: a:${TAG}" + strings.Repeat("y", 70<<10) + "\n",
			"pipecat.yaml:4:12: agents.bot.image: expanding ${TAG} makes the value longer than 64 KiB", 1},
		{"many values past the file's bound", "version: 1\nagents: {}\nprune:\n  ignore:\n" + strings.Repeat("  - ${K60}\n", 1000),
			"pipecat.yaml:90:5: prune.ignore[85]: expanding ${K60} makes the file's expanded values longer than 5 MiB in total; refusing to expand further", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			errs := parseErrors(t, tt.doc, env)
			runtime.ReadMemStats(&after)
			n := 0
			for _, e := range errs {
				if e.Error() == tt.want {
					n++
				}
			}
			if n != tt.n {
				t.Errorf("%d errors\n%s\nwant %d; all errors:\n%.2000s", n, tt.want, tt.n, errs)
			}
			// The values refused were never built: what was allocated is
			// the file, its tree and the values within bounds.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("Parse allocated %d MiB", alloc>>20)
			}
		})
	}
}

// TestMaxLength checks the schema's bounds on string values, each
// defensible: image references per the distribution reference limits,
// secret set names per the API, regions as DNS labels.
func TestMaxLength(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name, doc, want string
	}{
		{"image", hdr + "  bot:\n    image: " + long(519) + ":1\n", "pipecat.yaml:4:12: agents.bot.image: 521 characters long; the maximum is 520"},
		{"region", hdr + "  bot:\n    image: a:1\n    region: " + long(64) + "\n", "pipecat.yaml:5:13: agents.bot.region: 64 characters long; the maximum is 63"},
		{"secretSet", hdr + "  bot:\n    image: a:1\n    secretSet: " + long(64) + "\n", "pipecat.yaml:5:16: agents.bot.secretSet: 64 characters long; the maximum is 63"},
		{"imagePullSecretSet", hdr + "  bot:\n    image: a:1\n    imagePullSecretSet: " + long(64) + "\n", "pipecat.yaml:5:25: agents.bot.imagePullSecretSet: 64 characters long; the maximum is 63"},
		{"prune glob", "version: 1\nagents: {}\nprune: {ignore: [" + long(256) + "]}\n", "pipecat.yaml:3:18: prune.ignore[0]: 256 characters long; the maximum is 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.doc, nil)
			if diff := cmp.Diff(tt.want, errs[0].Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// At the bound, the values are valid.
	doc := hdr + "  bot:\n    image: " + long(518) + ":1\n    region: " + long(63) + "\n    secretSet: " + long(63) + "\n"
	if _, err := Parse(context.Background(), "pipecat.yaml", []byte(doc), LoadOptions{}); err != nil {
		t.Errorf("values at the bounds: %v", err)
	}
}
