package schema

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func ptr[T any](v T) *T { return &v }

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// parseErrors parses doc and returns its Errors, failing the test if the
// document is valid or fails some other way.
func parseErrors(t *testing.T, doc string, env map[string]string) Errors {
	t.Helper()
	cfg, err := Parse(context.Background(), "pipecat.yaml", []byte(doc), LoadOptions{Lookup: envOf(env)})
	if err == nil {
		t.Fatalf("Parse succeeded with %d agents, want an error", len(cfg.Agents))
	}
	errs, ok := err.(Errors)
	if !ok || len(errs) == 0 {
		t.Fatalf("Parse error is %T %v, want non-empty Errors", err, err)
	}
	return errs
}

const hdr = "version: 1\nagents:\n"

// TestParseInvalid checks the first error of each invalid document: its
// exact line, column, path and message, and its hint when it has one.
func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		env  map[string]string
		want string // first error
		hint string
	}{
		{"missing version", "agents: {}\n", nil,
			`pipecat.yaml:1:1: missing required key "version"`, ""},
		{"missing agents", "version: 1\n", nil,
			`pipecat.yaml:1:1: missing required key "agents"`, ""},
		{"unsupported version", "version: 2\nagents: {}\n", nil,
			`pipecat.yaml:1:10: version: unsupported version 2: this tool reads version 1`, ""},
		{"version as string", "version: \"1\"\nagents: {}\n", nil,
			`pipecat.yaml:1:10: version: version must be the number 1, not the string "1"`, "write version: 1, without quotes"},
		{"agents is a list", "version: 1\nagents: []\n", nil,
			`pipecat.yaml:2:9: agents: expected mapping, got list`, ""},
		{"agents is null", "version: 1\nagents:\n", nil,
			`pipecat.yaml:2:8: agents: expected mapping, got null`, ""},
		{"document is a list", "- a\n- b\n", nil,
			`pipecat.yaml:1:1: expected mapping, got list`, ""},
		{"escape in an image, through a variable", hdr + "  bot:\n    image: acme/bot:${TAG}\n", map[string]string{"TAG": "1.0\x1b[2J"},
			`pipecat.yaml:4:12: agents.bot.image: image "acme/bot:1.0\x1b[2J" holds a control or invisible character`,
			"an image reference is letters, digits and . _ - / : @; look for a stray character pasted with the value"},
		{"zero-width space in an image", hdr + "  bot:\n    image: \"acme/bot\u200b:1.0\"\n", nil,
			`pipecat.yaml:4:12: agents.bot.image: image "acme/bot\u200b:1.0" holds a control or invisible character`,
			"an image reference is letters, digits and . _ - / : @; look for a stray character pasted with the value"},
		{"too many prune globs", "version: 1\nagents: {}\nprune:\n  ignore: [" + strings.Repeat("\"a*\", ", 1000) + "\"b*\"]\n", nil,
			`pipecat.yaml:4:11: prune.ignore: 1001 items, more than the 1000 allowed`, ""},
		{"unknown top-level key", "version: 1\nagents: {}\nprunes: {}\n", nil,
			`pipecat.yaml:3:1: prunes: unknown key "prunes"`, `did you mean "prune"?`},
		{"uppercase agent name", hdr + "  Voice: {image: a:1}\n", nil,
			`pipecat.yaml:3:3: agents.Voice: invalid agent name "Voice": a name is 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit`, ""},
		{"one-letter agent name", hdr + "  x: {image: a:1}\n", nil,
			`pipecat.yaml:3:3: agents.x: invalid agent name "x": a name is 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit`, ""},
		{"agent name ending in hyphen", hdr + "  bad-: {image: a:1}\n", nil,
			`pipecat.yaml:3:3: agents.bad-: invalid agent name "bad-": a name is 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit`, ""},
		{"agent name of 55 characters", hdr + "  " + strings.Repeat("a", 55) + ": {image: a:1}\n", nil,
			`pipecat.yaml:3:3: agents.` + strings.Repeat("a", 55) + `: invalid agent name "` + strings.Repeat("a", 55) + `": a name is 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit`, ""},
		{"misspelt key differing in case", hdr + "  bot:\n    image: a:1\n    secretset: s\n", nil,
			`pipecat.yaml:5:5: agents.bot.secretset: unknown key "secretset"`, `did you mean "secretSet"?`},
		{"misspelt key", hdr + "  bot:\n    image: a:1\n    imagePullSecret: s\n", nil,
			`pipecat.yaml:5:5: agents.bot.imagePullSecret: unknown key "imagePullSecret"`, `did you mean "imagePullSecretSet"?`},
		{"unknown key far from any", hdr + "  bot:\n    image: a:1\n    foo: s\n", nil,
			`pipecat.yaml:5:5: agents.bot.foo: unknown key "foo"`, "valid keys here: " + agentKeys()},
		{"unknown key in autoScaling", hdr + "  bot:\n    image: a:1\n    autoScaling: {minAgents: 1, maxagent: 2}\n", nil,
			`pipecat.yaml:5:33: agents.bot.autoScaling.maxagent: unknown key "maxagent"`, `did you mean "maxAgents"?`},
		{"image without tag", hdr + "  bot:\n    image: acme/bot\n", nil,
			`pipecat.yaml:4:12: agents.bot.image: image "acme/bot" has no tag or digest`, `pin what runs: add a tag ("acme/bot:1.4.0") or a digest ("acme/bot@sha256:...")`},
		{"image with registry port but no tag", hdr + "  bot:\n    image: registry:5000/acme/bot\n", nil,
			`pipecat.yaml:4:12: agents.bot.image: image "registry:5000/acme/bot" has no tag or digest`, ""},
		{"neither image nor buildId", hdr + "  bot:\n    region: us-west\n", nil,
			`pipecat.yaml:3:3: agents.bot: one of image, buildId or build is required`, "add image: REGISTRY/IMAGE:TAG (or buildId: BUILD-UUID, or build: {context: DIR})"},
		{"image and build", hdr + "  bot:\n    image: a:1\n    build: {context: bot}\n", nil,
			`pipecat.yaml:5:12: agents.bot.build: image and build are mutually exclusive`, "keep one of the two"},
		{"buildId and build in defaults", "version: 1\ndefaults:\n  buildId: 123e4567-e89b-12d3-a456-426614174000\n  build: {context: bot}\nagents: {}\n", nil,
			`pipecat.yaml:4:10: defaults.build: buildId and build are mutually exclusive`, "keep one of the two"},
		{"build without a context", hdr + "  bot:\n    build: {dockerfile: Dockerfile.prod}\n", nil,
			`pipecat.yaml:4:5: agents.bot.build: build has no context`, "name the directory to build, relative to the config file: build: {context: DIR}"},
		{"build from defaults without a context", "version: 1\ndefaults:\n  build: {dockerfile: x}\nagents:\n  bot: {region: us-west}\n", nil,
			`pipecat.yaml:5:3: agents.bot: build has no context`, "name the directory to build, relative to the config file: build: {context: DIR}"},
		{"build with an unknown key", hdr + "  bot:\n    build: {contxt: bot}\n", nil,
			`pipecat.yaml:4:13: agents.bot.build.contxt: unknown key "contxt"`, `did you mean "context"?`},
		{"build context empty", hdr + "  bot:\n    build: {context: \"\"}\n", nil,
			`pipecat.yaml:4:22: agents.bot.build.context: must not be empty`, ""},
		{"managedKeys not a boolean", hdr + "  bot:\n    image: a:1\n    managedKeys: yes please\n", nil,
			`pipecat.yaml:5:18: agents.bot.managedKeys: expected boolean, got string`, ""},
		{"image and buildId", hdr + "  bot:\n    image: a:1\n    buildId: 123e4567-e89b-12d3-a456-426614174000\n", nil,
			`pipecat.yaml:5:14: agents.bot.buildId: image and buildId are mutually exclusive`, ""},
		{"image and buildId in defaults", "version: 1\ndefaults:\n  image: a:1\n  buildId: 123e4567-e89b-12d3-a456-426614174000\nagents: {}\n", nil,
			`pipecat.yaml:4:12: defaults.buildId: image and buildId are mutually exclusive`, ""},
		{"buildId not a UUID", hdr + "  bot:\n    buildId: not-a-uuid\n", nil,
			`pipecat.yaml:4:14: agents.bot.buildId: "not-a-uuid" is not a valid UUID`, ""},
		{"minAgents above maxAgents", hdr + "  bot:\n    image: a:1\n    autoScaling:\n      minAgents: 30\n      maxAgents: 20\n", nil,
			`pipecat.yaml:6:18: agents.bot.autoScaling.minAgents: 30 is greater than maxAgents (20)`, ""},
		{"minAgents above maxAgents from defaults", "version: 1\ndefaults:\n  autoScaling: {maxAgents: 5}\nagents:\n  bot:\n    image: a:1\n    autoScaling: {minAgents: 8}\n", nil,
			`pipecat.yaml:7:30: agents.bot.autoScaling.minAgents: 8 is greater than maxAgents (5, from defaults.autoScaling.maxAgents)`, ""},
		{"maxAgents below minAgents from defaults", "version: 1\ndefaults:\n  autoScaling: {minAgents: 8}\nagents:\n  bot:\n    image: a:1\n    autoScaling: {maxAgents: 5}\n", nil,
			`pipecat.yaml:7:30: agents.bot.autoScaling.maxAgents: 5 is less than minAgents (8, from defaults.autoScaling.minAgents)`, ""},
		{"minAgents negative", hdr + "  bot:\n    image: a:1\n    autoScaling: {minAgents: -1}\n", nil,
			`pipecat.yaml:5:30: agents.bot.autoScaling.minAgents: -1 is less than the minimum (0)`, ""},
		{"maxAgents above 50", hdr + "  bot:\n    image: a:1\n    autoScaling: {maxAgents: 51}\n", nil,
			`pipecat.yaml:5:30: agents.bot.autoScaling.maxAgents: 51 is greater than the maximum (50)`, ""},
		{"maxAgents fractional", hdr + "  bot:\n    image: a:1\n    autoScaling: {maxAgents: 2.5}\n", nil,
			`pipecat.yaml:5:30: agents.bot.autoScaling.maxAgents: expected integer, got number`, ""},
		{"maxAgents quoted", hdr + "  bot:\n    image: a:1\n    autoScaling: {maxAgents: \"5\"}\n", nil,
			`pipecat.yaml:5:30: agents.bot.autoScaling.maxAgents: expected integer, got string`, ""},
		{"maxSessionDuration too short", hdr + "  bot:\n    image: a:1\n    maxSessionDuration: 59\n", nil,
			`pipecat.yaml:5:25: agents.bot.maxSessionDuration: 59 is less than the minimum (60)`, ""},
		{"maxSessionDuration too long", hdr + "  bot:\n    image: a:1\n    maxSessionDuration: 14401\n", nil,
			`pipecat.yaml:5:25: agents.bot.maxSessionDuration: 14401 is greater than the maximum (14400)`, ""},
		{"maxSessionDuration NaN", hdr + "  bot:\n    image: a:1\n    maxSessionDuration: .nan\n", nil,
			`pipecat.yaml:5:25: agents.bot.maxSessionDuration: .nan is not a finite number`, ""},
		{"unknown agentProfile", hdr + "  bot:\n    image: a:1\n    agentProfile: agent-4x\n", nil,
			`pipecat.yaml:5:19: agents.bot.agentProfile: "agent-4x" is not one of "agent-1x", "agent-2x", "agent-3x"`, ""},
		{"unknown nodeType", hdr + "  bot:\n    image: a:1\n    nodeType: x86\n", nil,
			`pipecat.yaml:5:15: agents.bot.nodeType: "x86" is not one of "arm"`, ""},
		{"krispViva null", hdr + "  bot:\n    image: a:1\n    krispViva: null\n", nil,
			`pipecat.yaml:5:16: agents.bot.krispViva: krispViva cannot be null`, "to disable Krisp VIVA write krispViva: {audioFilter: null}; to leave it unmanaged, remove the key"},
		{"krispViva without audioFilter", hdr + "  bot:\n    image: a:1\n    krispViva: {}\n", nil,
			`pipecat.yaml:5:5: agents.bot.krispViva: missing required key "audioFilter"`, ""},
		{"unknown audioFilter", hdr + "  bot:\n    image: a:1\n    krispViva: {audioFilter: studio}\n", nil,
			`pipecat.yaml:5:30: agents.bot.krispViva.audioFilter: "studio" is not one of "tel", "pro", null`, ""},
		{"enableKrisp as string", hdr + "  bot:\n    image: a:1\n    enableKrisp: \"yes\"\n", nil,
			`pipecat.yaml:5:18: agents.bot.enableKrisp: expected boolean, got string`, ""},
		{"secretSet empty value", hdr + "  bot:\n    image: a:1\n    secretSet:\n", nil,
			`pipecat.yaml:5:15: agents.bot.secretSet: expected string, got null`, "remove the key to leave the field unmanaged"},
		{"secretSet empty string", hdr + "  bot:\n    image: a:1\n    secretSet: \"\"\n", nil,
			`pipecat.yaml:5:16: agents.bot.secretSet: must not be empty`, ""},
		{"secretSet a number", hdr + "  bot:\n    image: a:1\n    secretSet: 42\n", nil,
			`pipecat.yaml:5:16: agents.bot.secretSet: expected string, got integer`, ""},
		{"region a list", hdr + "  bot:\n    image: a:1\n    region: [us-west]\n", nil,
			`pipecat.yaml:5:13: agents.bot.region: expected string, got list`, ""},
		{"duplicate key", hdr + "  bot:\n    image: a:1\n    image: b:2\n", nil,
			`pipecat.yaml:5:5: agents.bot.image: duplicate key "image" (first at line 4)`, ""},
		{"duplicate agent", hdr + "  bot:\n    image: a:1\n  bot:\n    image: b:2\n", nil,
			`pipecat.yaml:5:3: agents.bot: duplicate key "bot" (first at line 3)`, ""},
		{"duplicate top-level key", "version: 1\nversion: 1\nagents: {}\n", nil,
			`pipecat.yaml:2:1: version: duplicate key "version" (first at line 1)`, ""},
		{"unset variable", hdr + "  bot:\n    image: a:${TAG}\n", nil,
			`pipecat.yaml:4:12: agents.bot.image: environment variable TAG is not set`, "set TAG, or give a default: ${TAG:-value}"},
		{"unterminated variable", hdr + "  bot:\n    image: a:${TAG\n", nil,
			`pipecat.yaml:4:12: agents.bot.image: unterminated ${ in "a:${TAG"`, "write $${ for a literal ${"},
		{"invalid variable name", hdr + "  bot:\n    image: a:${1TAG}\n", nil,
			`pipecat.yaml:4:12: agents.bot.image: invalid variable reference ${1TAG}`, ""},
		{"variable expands to an invalid value", hdr + "  bot:\n    image: a:1\n    agentProfile: ${PROFILE}\n", map[string]string{"PROFILE": "huge"},
			`pipecat.yaml:5:19: agents.bot.agentProfile: "huge" is not one of "agent-1x", "agent-2x", "agent-3x"`, ""},
		{"alias", hdr + "  bot: &x\n    image: a:1\n  bot2: *x\n", nil,
			`pipecat.yaml:5:9: agents.bot2: YAML aliases are not supported`, "set shared values once under defaults:"},
		{"merge key", hdr + "  bot:\n    image: a:1\n    <<: {region: x}\n", nil,
			`pipecat.yaml:5:5: agents.bot: YAML merge keys (<<) are not supported`, ""},
		{"custom tag", hdr + "  bot:\n    image: !custom a:1\n", nil,
			`pipecat.yaml:4:12: agents.bot.image: unsupported YAML tag "!custom"`, ""},
		{"complex key", hdr + "  bot:\n    image: a:1\n    ? [x]\n    : 1\n", nil,
			`pipecat.yaml:5:7: agents.bot: a key must be a string`, ""},
		{"prune.enabled a string", "version: 1\nagents: {}\nprune: {enabled: \"yes\"}\n", nil,
			`pipecat.yaml:3:18: prune.enabled: expected boolean, got string`, ""},
		{"prune.ignore a string", "version: 1\nagents: {}\nprune: {ignore: \"legacy-*\"}\n", nil,
			`pipecat.yaml:3:17: prune.ignore: expected list, got string`, ""},
		{"prune.ignore bad glob", "version: 1\nagents: {}\nprune: {ignore: [\"ok\", \"[\"]}\n", nil,
			`pipecat.yaml:3:24: prune.ignore[1]: invalid glob "[": syntax error in pattern`, ""},
		{"unknown key in defaults", "version: 1\ndefaults:\n  name: x\nagents: {}\n", nil,
			`pipecat.yaml:3:3: defaults.name: unknown key "name"`, ""},
		{"empty file", "", nil,
			`pipecat.yaml:1:1: file is empty`, ""},
		{"only comments", "# nothing here\n", nil,
			`pipecat.yaml:1:1: file is empty`, ""},
		{"two documents", "version: 1\nagents: {}\n---\nversion: 1\n", nil,
			`pipecat.yaml:3:1: more than one YAML document`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.doc, tt.env)
			if diff := cmp.Diff(tt.want, errs[0].Error()); diff != "" {
				t.Errorf("first error (-want +got):\n%s\nall errors:\n%v", diff, errs)
			}
			if tt.hint != "" {
				if diff := cmp.Diff(tt.hint, errs[0].Hint); diff != "" {
					t.Errorf("hint (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestParseValid checks the loaded values of valid documents: defaults
// merging, env expansion, and pointer fields left nil when unmanaged.
func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		env  map[string]string
		want *Config
	}{
		{"minimal", hdr + "  hello:\n    image: acme/hello:1.0\n", nil,
			&Config{Version: 1, Agents: []Agent{{Name: "hello", Spec: Spec{Image: ptr("acme/hello:1.0")}}}}},
		{"no agents", "version: 1\nagents: {}\n", nil,
			&Config{Version: 1}},
		{"defaults merged under every agent, objects key by key",
			"version: 1\ndefaults:\n  region: us-west\n  agentProfile: agent-1x\n  autoScaling: {minAgents: 0, maxAgents: 10}\n" +
				"agents:\n  a-bot:\n    image: a:1\n    autoScaling: {minAgents: 2}\n  b-bot:\n    image: b:1\n    region: eu-central\n    agentProfile: agent-2x\n", nil,
			&Config{Version: 1, Agents: []Agent{
				{Name: "a-bot", Spec: Spec{Image: ptr("a:1"), Region: ptr("us-west"), AgentProfile: ptr("agent-1x"), AutoScaling: &AutoScaling{MinAgents: ptr(2), MaxAgents: ptr(10)}}},
				{Name: "b-bot", Spec: Spec{Image: ptr("b:1"), Region: ptr("eu-central"), AgentProfile: ptr("agent-2x"), AutoScaling: &AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(10)}}},
			}}},
		{"agents sorted by name", hdr + "  zed:\n    image: z:1\n  alpha:\n    image: a:1\n  mid:\n    image: m:1\n", nil,
			&Config{Version: 1, Agents: []Agent{
				{Name: "alpha", Spec: Spec{Image: ptr("a:1")}}, {Name: "mid", Spec: Spec{Image: ptr("m:1")}}, {Name: "zed", Spec: Spec{Image: ptr("z:1")}}}}},
		{"env expansion", hdr + "  bot:\n    image: ghcr.io/acme/bot:${TAG}\n    secretSet: ${SET:-bot-secrets}\n    region: ${EMPTY:-us-west}\n    imagePullSecretSet: pull-${ENV}\n",
			map[string]string{"TAG": "2.0.0", "EMPTY": "", "ENV": "prod"},
			&Config{Version: 1, Agents: []Agent{{Name: "bot", Spec: Spec{Image: ptr("ghcr.io/acme/bot:2.0.0"), SecretSet: ptr("bot-secrets"), Region: ptr("us-west"), ImagePullSecretSet: ptr("pull-prod")}}}}},
		{"env default used when unset, value when set", hdr + "  bot:\n    image: acme/bot:${IMAGE_TAG:-1.4.0}\n  bot2:\n    image: acme/bot:${IMAGE_TAG2:-1.4.0}\n",
			map[string]string{"IMAGE_TAG2": "9.9"},
			&Config{Version: 1, Agents: []Agent{{Name: "bot", Spec: Spec{Image: ptr("acme/bot:1.4.0")}}, {Name: "bot2", Spec: Spec{Image: ptr("acme/bot:9.9")}}}}},
		{"$${ is a literal ${, $VAR is left alone", hdr + "  bot:\n    image: a:1\n    secretSet: lit-$${X}-$HOME-$$\n", map[string]string{"X": "no", "HOME": "no"},
			&Config{Version: 1, Agents: []Agent{{Name: "bot", Spec: Spec{Image: ptr("a:1"), SecretSet: ptr("lit-${X}-$HOME-$$")}}}}},
		{"krispViva set, disabled, and overriding defaults",
			"version: 1\ndefaults:\n  krispViva: {audioFilter: tel}\nagents:\n  off:\n    image: a:1\n    krispViva: {audioFilter: null}\n  on:\n    image: a:1\n  pro:\n    image: a:1\n    krispViva: {audioFilter: pro}\n", nil,
			&Config{Version: 1, Agents: []Agent{
				{Name: "off", Spec: Spec{Image: ptr("a:1"), KrispViva: &KrispViva{}}},
				{Name: "on", Spec: Spec{Image: ptr("a:1"), KrispViva: &KrispViva{AudioFilter: ptr("tel")}}},
				{Name: "pro", Spec: Spec{Image: ptr("a:1"), KrispViva: &KrispViva{AudioFilter: ptr("pro")}}},
			}}},
		{"buildId on the agent replaces image from defaults",
			"version: 1\ndefaults:\n  image: acme/shared:1.0\nagents:\n  built:\n    buildId: 123e4567-e89b-12d3-a456-426614174000\n  shared:\n    secretSet: s\n", nil,
			&Config{Version: 1, Agents: []Agent{
				{Name: "built", Spec: Spec{BuildID: ptr("123e4567-e89b-12d3-a456-426614174000")}},
				{Name: "shared", Spec: Spec{Image: ptr("acme/shared:1.0"), SecretSet: ptr("s")}},
			}}},
		{"cloud builds: the Dockerfile from defaults, the context per agent; an image agent takes no build",
			"version: 1\ndefaults:\n  build: {dockerfile: Dockerfile.prod}\n  managedKeys: true\nagents:\n  a-bot:\n    build: {context: agents/a}\n  b-bot:\n    build:\n      context: .\n      dockerfile: b.Dockerfile\n    managedKeys: false\n  c-bot:\n    image: acme/c:1\n", nil,
			&Config{Version: 1, Agents: []Agent{
				{Name: "a-bot", Spec: Spec{Build: &BuildSource{Context: ptr("agents/a"), Dockerfile: ptr("Dockerfile.prod")}, ManagedKeys: ptr(true)}},
				{Name: "b-bot", Spec: Spec{Build: &BuildSource{Context: ptr("."), Dockerfile: ptr("b.Dockerfile")}, ManagedKeys: ptr(false)}},
				{Name: "c-bot", Spec: Spec{Image: ptr("acme/c:1"), ManagedKeys: ptr(true)}},
			}}},
		{"every field", hdr + "  full:\n    image: acme/full@sha256:0123456789abcdef0123456789abcdef\n    region: us-west\n    nodeType: arm\n" +
			"    imagePullSecretSet: pull\n    secretSet: sec\n    autoScaling: {minAgents: 0, maxAgents: 50}\n    agentProfile: agent-3x\n" +
			"    krispViva: {audioFilter: tel}\n    enableKrisp: true\n    maxSessionDuration: 0xE10\n", nil,
			&Config{Version: 1, Agents: []Agent{{Name: "full", Spec: Spec{Image: ptr("acme/full@sha256:0123456789abcdef0123456789abcdef"), Region: ptr("us-west"), NodeType: ptr("arm"), ImagePullSecretSet: ptr("pull"), SecretSet: ptr("sec"), AutoScaling: &AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(50)}, AgentProfile: ptr("agent-3x"), KrispViva: &KrispViva{AudioFilter: ptr("tel")}, EnableKrisp: ptr(true), MaxSessionDuration: ptr(3600)}}}}},
		{"empty autoScaling is managed but sets no bound", hdr + "  bot:\n    image: a:1\n    autoScaling: {}\n", nil,
			&Config{Version: 1, Agents: []Agent{{Name: "bot", Spec: Spec{Image: ptr("a:1"), AutoScaling: &AutoScaling{}}}}}},
		{"prune", "version: 1\nagents: {}\nprune:\n  enabled: true\n  ignore: [\"legacy-*\", \"keep-[ab]\"]\n", nil,
			&Config{Version: 1, Prune: Prune{Enabled: true, Ignore: []string{"legacy-*", "keep-[ab]"}}}},
		{"guards: prune limit, replace allow-list, protect from defaults and per agent",
			"version: 1\ndefaults:\n  protect: true\nagents:\n  keep:\n    image: a:1\n  loose:\n    image: a:1\n    protect: false\n" +
				"prune:\n  enabled: true\n  maxDeletes: 2\nreplace:\n  allowed: [\"eu-*\"]\n", nil,
			&Config{Version: 1, Prune: Prune{Enabled: true, MaxDeletes: ptr(2), MaxDeletesPos: Position{Line: 12, Col: 15}}, Replace: Replace{Allowed: []string{"eu-*"}},
				Agents: []Agent{{Name: "keep", Spec: Spec{Image: ptr("a:1")}, Protect: true}, {Name: "loose", Spec: Spec{Image: ptr("a:1")}}}}},
		{"byte order mark and CRLF line ends", "\ufeffversion: 1\r\nagents:\r\n  bot:\r\n    image: a:1\r\n", nil,
			&Config{Version: 1, Agents: []Agent{{Name: "bot", Spec: Spec{Image: ptr("a:1")}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(context.Background(), "pipecat.yaml", []byte(tt.doc), LoadOptions{Lookup: envOf(tt.env)})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.want.File = "pipecat.yaml"
			opts := cmpopts.IgnoreFields(Agent{}, "Pos", "FieldPos")
			if diff := cmp.Diff(tt.want, cfg, opts); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPositions checks Agent.Pos and FieldPos, including fields that came
// from defaults, which point into the defaults section.
func TestPositions(t *testing.T) {
	doc := "version: 1\n" + //                       1
		"defaults:\n" + //                           2
		"  region: us-west\n" + //                   3
		"  autoScaling: {maxAgents: 10}\n" + //      4
		"agents:\n" + //                             5
		"  bot:\n" + //                              6
		"    image: a:1\n" + //                      7
		"    autoScaling:\n" + //                    8
		"      minAgents: 1\n" + //                  9
		"    krispViva: {audioFilter: null}\n" //    10
	cfg, err := Parse(context.Background(), "pipecat.yaml", []byte(doc), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Agents[0]
	if diff := cmp.Diff(Position{Line: 6, Col: 3}, a.Pos); diff != "" {
		t.Errorf("Pos (-want +got):\n%s", diff)
	}
	want := map[string]Position{
		"image":                 {7, 12},
		"region":                {3, 11},
		"autoScaling":           {9, 7},
		"autoScaling.minAgents": {9, 18},
		"autoScaling.maxAgents": {4, 28},
		"krispViva":             {10, 16},
		"krispViva.audioFilter": {10, 30},
	}
	if diff := cmp.Diff(want, a.FieldPos); diff != "" {
		t.Errorf("FieldPos (-want +got):\n%s", diff)
	}
}

// TestAllErrorsAtOnce checks that every error is reported, sorted, in the
// documented format.
func TestAllErrorsAtOnce(t *testing.T) {
	doc := "version: 2\n" +
		"agents:\n" +
		"  Foo:\n" +
		"    secretset: x\n" +
		"    image: acme/x\n" +
		"    autoScaling: {minAgents: 30, maxAgents: 20}\n" +
		"  ok-one: {}\n" +
		"extra: 1\n"
	errs := parseErrors(t, doc, nil)
	want := `pipecat.yaml:1:10: version: unsupported version 2: this tool reads version 1
pipecat.yaml:3:3: agents.Foo: invalid agent name "Foo": a name is 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit
pipecat.yaml:4:5: agents.Foo.secretset: unknown key "secretset"
pipecat.yaml:5:12: agents.Foo.image: image "acme/x" has no tag or digest
pipecat.yaml:6:30: agents.Foo.autoScaling.minAgents: 30 is greater than maxAgents (20)
pipecat.yaml:7:3: agents.ok-one: one of image, buildId or build is required
pipecat.yaml:8:1: extra: unknown key "extra"`
	if diff := cmp.Diff(want, errs.Error()); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestSyntaxErrors checks that errors yaml.v3 reports itself point at the
// real line: yaml.v3 reports parser errors at the 0-based line of the
// enclosing construct, and some errors at no line.
func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"bad indentation under a mapping", "version: 1\nagents:\n  bot:\n    image: a:1\n   region: b\n",
			"pipecat.yaml:5:4: invalid YAML: did not find expected key"},
		{"dedented key", "a:\n  b: 1\n c: 2\nd: 3\n",
			"pipecat.yaml:3:2: invalid YAML: did not find expected key"},
		{"list item in a mapping", "a: 1\nb: 2\n- c\n",
			"pipecat.yaml:3:1: invalid YAML: did not find expected key"},
		{"block scalar dedent", "a: 1\nb: |\n  x\n y\n",
			"pipecat.yaml:4:2: invalid YAML: did not find expected key"},
		{"mapping in a list", "a:\n  - x\n  y: 1\n",
			"pipecat.yaml:3:4: invalid YAML: did not find expected '-' indicator"},
		{"indented key", "a: 1\nb: 2\n  c: 3\nd: 4\n",
			"pipecat.yaml:3:4: invalid YAML: mapping values are not allowed in this context"},
		{"second colon", "a: 1\nb: c: d\n",
			"pipecat.yaml:2:5: invalid YAML: mapping values are not allowed in this context"},
		{"unclosed flow sequence", "version: 1\nagents:\n  ab:\n    image: a:1\n    region: [us\n",
			"pipecat.yaml:5:14: invalid YAML: did not find expected ',' or ']'"},
		{"unclosed quote", "a: 1\nb: \"abc\nc: 3\n",
			"pipecat.yaml:2:4: invalid YAML: found unexpected end of stream"},
		{"tab indentation", "a: 1\n\tb: 2\n",
			"pipecat.yaml:2:1: tabs are not allowed for indentation; use spaces"},
		{"unknown anchor", "a: 1\nb: *x\n",
			"pipecat.yaml:2:5: invalid YAML: unknown anchor 'x' referenced"},
		{"reserved character", "a: 1\nb: @x\n",
			"pipecat.yaml:2:4: invalid YAML: found character that cannot start any token"},
		{"bad escape", "a: 1\nb: \"\\q\"\n",
			"pipecat.yaml:2:5: invalid YAML: found unknown escape character"},
		{"control character", "a: 1\nb: \x01\n",
			"pipecat.yaml:2:4: invalid YAML: control characters are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.doc, nil)
			if diff := cmp.Diff(tt.want, errs.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostile checks that hostile input is refused with a located error,
// without expanding anything or reading past the size limit.
func TestHostile(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("version: 1\nagents:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for c := 'b'; c <= 'i'; c++ {
		fmt.Fprintf(&bomb, "  %c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c-1, c-1, c-1, c-1, c-1, c-1, c-1, c-1, c-1)
	}
	tests := []struct {
		name  string
		doc   string
		want  string // one of the errors
		count int    // number of errors
	}{
		{"alias bomb", bomb.String(),
			`pipecat.yaml:4:10: agents.b[0]: YAML aliases are not supported`,
			72 + 9 + 9}, // the aliases, nine one-letter names, nine lists where agents belong
		{"file over 5 MiB", "version: 1\n#" + strings.Repeat("x", MaxFileSize),
			"pipecat.yaml:1:1: file is larger than 5 MiB; refusing to parse it", 1},
		{"invalid UTF-8", "version: 1\nagents:\n  bot:\n    image: a:\xff\n",
			"pipecat.yaml:4:14: invalid UTF-8: the file must be UTF-8 encoded", 1},
		{"UTF-16", "\xff\xfev\x00:\x00",
			"pipecat.yaml:1:1: invalid UTF-8: the file must be UTF-8 encoded", 1},
		{"unusual line break", "version: 1\nagents: {}\n# a\u2028b\n",
			"pipecat.yaml:3:4: unsupported line break character (U+0085, U+2028 or U+2029)", 1},
		{"lone CR ends a line as in YAML", "version: 1\ragents:\r  bot:\r    image: a\r",
			`pipecat.yaml:4:12: agents.bot.image: image "a" has no tag or digest`, 1},
		{"too many values", "version: 1\nagents: {}\nprune: {ignore: [" + strings.Repeat("a,", maxNodes) + "]}\n",
			// root, 2 keys and values, prune key and value, ignore key and
			// list: item 99,991 is the 100,001st node.
			"pipecat.yaml:3:200000: more than 100000 YAML values; refusing to process the file", 1},
		{"deep flow nesting", "version: 1\nagents: " + strings.Repeat("[", 20000),
			"pipecat.yaml:2:10009: invalid YAML: exceeded max depth of 10000", 1},
		{"nesting past the format's depth", "version: 1\nagents: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n",
			"pipecat.yaml:2:41: agents[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested deeper than 32 levels", 2},
		{"duplicate keys", "version: 1\nagents: {}\nagents: {}\nversion: 1\n",
			`pipecat.yaml:3:1: agents: duplicate key "agents" (first at line 2)`, 2},
		{"five hundred aliases", "version: 1\nagents:\n  bot: &b {image: a:1}\n  bot-x: *b\n" + manyAliases(500),
			`pipecat.yaml:4:10: agents.bot-x: YAML aliases are not supported`, maxErrors + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.doc, nil)
			if !strings.Contains("\n"+errs.Error()+"\n", "\n"+tt.want+"\n") {
				t.Errorf("errors do not include\n%s\ngot:\n%s", tt.want, errs)
			}
			if len(errs) != tt.count {
				t.Errorf("got %d errors, want %d", len(errs), tt.count)
			}
		})
	}
}

func manyAliases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  bot-%d: *b\n", i)
	}
	return b.String()
}

// TestLoad checks reading from disk: the size limit applies before the file
// is read whole, and a missing file is a plain wrapped error.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("version: 1\n#"+strings.Repeat("x", MaxFileSize+100)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), big, LoadOptions{})
	if got, want := fmt.Sprint(err), big+":1:1: file is larger than 5 MiB; refusing to parse it"; got != want {
		t.Errorf("Load(context.Background(), big) = %q, want %q", got, want)
	}
	_, err = Load(context.Background(), filepath.Join(dir, "missing.yaml"), LoadOptions{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(context.Background(), missing) = %v, want fs.ErrNotExist", err)
	}
	ok := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(ok, []byte(hdr+"  bot:\n    image: a:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(context.Background(), ok, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != ok || len(cfg.Agents) != 1 {
		t.Errorf("Load(context.Background(), ok) = %+v", cfg)
	}
}

// TestSource checks the source line each error carries for display: the
// line as written, cut around the column when long, and the column in it.
func TestSource(t *testing.T) {
	long := strings.Repeat("x", 300)
	globs := "prune: {ignore: [" + strings.Repeat("abcd, ", 50) + "\"[\"]}" // the bad glob at column 318
	tests := []struct {
		name   string
		doc    string
		source string
		col    int
	}{
		{"the offending line", hdr + "  bot:\n    image: a:1\n    autoScaling: {minAgents: 30, maxAgents: 20}\n",
			"    autoScaling: {minAgents: 30, maxAgents: 20}", 30},
		{"no CR of a CRLF line", "version: 1\r\nagents:\r\n  bot:\r\n    image: a\r\n", "    image: a", 12},
		{"a tab kept as written", hdr + "  bot:\n    image: a:1\n    region: 5\t# r\n", "    region: 5\t# r", 13},
		{"a long line cut around the column", "version: 1\nagents: {}\n" + globs + "\n", "..." + globs[257:], 64},
		{"a long line cut at its end only", hdr + "  bot:\n    image: a:1\n    region: " + long + "\n",
			"    region: " + strings.Repeat("x", 108) + "...", 13},
		{"a column past the end of the line", "version: 1\nagents:", "agents:", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseErrors(t, tt.doc, nil)[0]
			if diff := cmp.Diff(tt.source, e.Source); diff != "" {
				t.Errorf("Source (-want +got):\n%s\n(error %v)", diff, e)
			}
			if e.SourceCol != tt.col {
				t.Errorf("SourceCol = %d, want %d (error %v)", e.SourceCol, tt.col, e)
			}
		})
	}
}

// TestReadableErrors checks the errors people hit most, worded so that
// the fix is obvious: tabs, a quoted version, keys at the wrong depth.
func TestReadableErrors(t *testing.T) {
	tabHint := func(line int) string {
		return fmt.Sprintf("replace the tabs at the start of line %d with spaces (YAML indents with spaces only)", line)
	}
	tests := []struct {
		name, doc, want, hint string
	}{
		{"tab before a key", "a: 1\n\tb: 2\n",
			"pipecat.yaml:2:1: tabs are not allowed for indentation; use spaces", tabHint(2)},
		{"tab-indented agents", "version: 1\nagents:\n\tbot:\n\t\timage: a:1\n",
			"pipecat.yaml:3:1: tabs are not allowed for indentation; use spaces", tabHint(3)},
		{"tab after spaces", "version: 1\nagents:\n  bot:\n  \timage: a:1\n",
			"pipecat.yaml:4:3: tabs are not allowed for indentation; use spaces", tabHint(4)},
		{"tab before a field", "version: 1\nagents:\n  bot:\n    image: a:1\n\tregion: x\n",
			"pipecat.yaml:5:1: tabs are not allowed for indentation; use spaces", tabHint(5)},
		{"tab in a list", "version: 1\nagents: {}\nprune:\n  ignore:\n\t- x\n",
			"pipecat.yaml:5:1: tabs are not allowed for indentation; use spaces", tabHint(5)},
		{"version as a string", "version: \"1\"\nagents: {}\n",
			`pipecat.yaml:1:10: version: version must be the number 1, not the string "1"`, "write version: 1, without quotes"},
		{"version as another string", "version: '2'\nagents: {}\n",
			`pipecat.yaml:1:10: version: version must be the number 1, not the string "2"`, "write version: 1, without quotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.doc, nil)
			if diff := cmp.Diff(tt.want, errs[0].Error()); diff != "" {
				t.Errorf("first error (-want +got):\n%s\nall:\n%v", diff, errs)
			}
			if diff := cmp.Diff(tt.hint, errs[0].Hint); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMisplacedKeys checks that a key at the wrong depth names the fix.
func TestMisplacedKeys(t *testing.T) {
	tests := []struct {
		name, doc, want, hint string
	}{
		{"a field at the level of the agents",
			hdr + "  bot:\n  image: a:1\n",
			"pipecat.yaml:3:3: agents.bot: agent bot has no fields", "indent image: (line 4) and the fields after it under bot:"},
		{"the field itself",
			hdr + "  bot:\n  image: a:1\n",
			"pipecat.yaml:4:3: agents.image: image is an agent field, not an agent", "indent it under the agent bot (line 3)"},
		{"a field with no agent name",
			hdr + "  image: a:1\n",
			"pipecat.yaml:3:3: agents.image: image is an agent field, not an agent", "agents: maps each agent's name to its fields: write the name first (my-agent:), then the fields indented under it"},
		{"a field at the top level",
			hdr + "  bot:\n    image: a:1\nregion: us-west\n",
			`pipecat.yaml:5:1: region: unknown key "region"`, "region is an agent field: indent it under the agent bot (line 3), or under defaults: to set it for every agent"},
		{"a field at the top level before any agent",
			"version: 1\nregion: us-west\nagents: {}\n",
			`pipecat.yaml:2:1: region: unknown key "region"`, "region is an agent field: indent it under an agent in agents:, or under defaults: to set it for every agent"},
		{"an agent at the top level",
			hdr + "  bot:\n    image: a:1\nbot2:\n  image: b:1\n  region: x\n",
			`pipecat.yaml:5:1: bot2: unknown key "bot2"`, "bot2 looks like an agent: indent it under agents:"},
		{"a bound out of autoScaling",
			hdr + "  bot:\n    image: a:1\n    autoScaling:\n      minAgents: 1\n    maxAgents: 5\n",
			`pipecat.yaml:7:5: agents.bot.maxAgents: unknown key "maxAgents"`, "maxAgents belongs under autoScaling: indent it under autoScaling:"},
		{"a bound out of autoScaling in defaults",
			"version: 1\ndefaults:\n  maxAgents: 5\nagents: {}\n",
			`pipecat.yaml:3:3: defaults.maxAgents: unknown key "maxAgents"`, "maxAgents belongs under autoScaling: indent it under autoScaling:"},
		{"a bound at the top level",
			"version: 1\nagents: {}\nmaxAgents: 5\n",
			`pipecat.yaml:3:1: maxAgents: unknown key "maxAgents"`, "maxAgents belongs under autoScaling: of an agent or of defaults:"},
		{"a field indented into autoScaling",
			hdr + "  bot:\n    autoScaling:\n      minAgents: 1\n      image: a:1\n",
			`pipecat.yaml:6:7: agents.bot.autoScaling.image: unknown key "image"`, "image is an agent field, not part of autoScaling: indent it as much as autoScaling:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.doc, nil)
			var got *Error
			for _, e := range errs {
				if e.Error() == tt.want {
					got = e
				}
			}
			if got == nil {
				t.Fatalf("no error\n%s\ngot:\n%v", tt.want, errs)
			}
			if diff := cmp.Diff(tt.hint, got.Hint); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCommonMistakeHints checks that the commonest wrong types carry the
// fix (issue 22): YAML 1.1 booleans, quoted numbers, prune: true, and
// agents: written as a list, shown converted.
func TestCommonMistakeHints(t *testing.T) {
	tests := []struct {
		name, doc, want, hint string
	}{
		{"prune: true",
			hdr + "  bot:\n    image: a:1\nprune: true\n",
			"pipecat.yaml:5:8: prune: expected mapping, got boolean", "prune is a mapping: write prune: {enabled: true}"},
		{"a YAML 1.1 yes",
			hdr + "  bot:\n    image: a:1\n    enableKrisp: yes\n",
			"pipecat.yaml:5:18: agents.bot.enableKrisp: expected boolean, got string", "YAML 1.2 booleans are true and false: write enableKrisp: true"},
		{"a YAML 1.1 Off",
			"version: 1\ndefaults:\n  enableKrisp: Off\nagents: {}\n",
			"pipecat.yaml:3:16: defaults.enableKrisp: expected boolean, got string", "YAML 1.2 booleans are true and false: write enableKrisp: false"},
		{"a quoted boolean",
			hdr + "  bot:\n    image: a:1\n    enableKrisp: \"true\"\n",
			"pipecat.yaml:5:18: agents.bot.enableKrisp: expected boolean, got string", "drop the quotes: write enableKrisp: true"},
		{"a quoted integer",
			hdr + "  bot:\n    image: a:1\n    maxSessionDuration: \"3600\"\n",
			"pipecat.yaml:5:25: agents.bot.maxSessionDuration: expected integer, got string", "drop the quotes: write maxSessionDuration: 3600"},
		{"a quoted integer in a flow mapping",
			hdr + "  bot:\n    image: a:1\n    autoScaling: {minAgents: '2'}\n",
			"pipecat.yaml:5:30: agents.bot.autoScaling.minAgents: expected integer, got string", "drop the quotes: write minAgents: 2"},
		{"a quoted fraction where an integer goes is no quoting mistake",
			hdr + "  bot:\n    image: a:1\n    maxSessionDuration: \"12.5\"\n",
			"pipecat.yaml:5:25: agents.bot.maxSessionDuration: expected integer, got string", ""},
		{"agents as a list of name: entries",
			"version: 1\nagents:\n  - name: voice-a\n    image: acme/voice:1\n    autoScaling: {minAgents: 1}\n  - name: voice-b\n    image: acme/voice:1\n",
			"pipecat.yaml:3:3: agents: expected mapping, got list",
			"agents: is a mapping keyed by agent name, not a list; the first entry as a mapping:\nagents:\n  voice-a:\n    image: acme/voice:1\n    autoScaling:\n      minAgents: 1"},
		{"agents as a list of one-key mappings",
			"version: 1\nagents:\n  - voice-a:\n      image: acme/voice:1\n",
			"pipecat.yaml:3:3: agents: expected mapping, got list",
			"agents: is a mapping keyed by agent name, not a list; the first entry as a mapping:\nagents:\n  voice-a:\n    image: acme/voice:1"},
		{"agents as a list of strings",
			"version: 1\nagents:\n  - voice-a\n",
			"pipecat.yaml:3:3: agents: expected mapping, got list",
			"agents: is a mapping keyed by agent name, not a list; write each agent as NAME: followed by its fields indented under it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := parseErrors(t, tt.doc, nil)
			var got *Error
			for _, e := range errs {
				if e.Error() == tt.want {
					got = e
				}
			}
			if got == nil {
				t.Fatalf("no error\n%s\ngot:\n%v", tt.want, errs)
			}
			if diff := cmp.Diff(tt.hint, got.Hint); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLooksLikeConfig checks the test that tells a config given as an
// argument from a saved plan or any other file.
func TestLooksLikeConfig(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"a config", "version: 1\nagents:\n  bot: {image: a:1}\n", true},
		{"an invalid config", "version: 2\nagents: [x]\n", true},
		{"agents only", "agents: {}\n", true},
		{"a saved plan", `{"format_version": "1", "config": "pipecat.yaml", "changes": []}`, false},
		{"another YAML file", "name: ci\non: push\n", false},
		{"not YAML", "version: [\n", false},
		{"a list", "- version\n- agents\n", false},
		{"empty", "", false},
		{"hostile", "{" + strings.Repeat("1,", MaxFileSize/2-1) + "}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LooksLikeConfig([]byte(tt.data)); got != tt.want {
				t.Errorf("LooksLikeConfig = %v, want %v", got, tt.want)
			}
		})
	}
}

// agentKeys lists the keys an agent may hold, sorted: the top-level names
// of the Spec's fields and protect.
func agentKeys() string {
	keys := []string{protectKey}
	for _, f := range AllFields() {
		top, _, _ := strings.Cut(f.Path, ".")
		if !slices.Contains(keys, top) {
			keys = append(keys, top)
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
