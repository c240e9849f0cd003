package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOfficialDeployAction runs the official deploy action
// (daily-co/pipecat-cloud-deploy-action, its dist/index.js) with only the
// inputs its docs require — api-key, agent-name, cloud-build: true — and
// the defaults the runner fills in from its action.yml (v2.0.3), against
// "pipecat-gitops sandbox": it must build the context in the sandbox's
// cloud and deploy the agent from the build. api-url is set too: it is
// what points the action at the sandbox.
//
// The action's code is not part of this repository: the test runs only
// with PIPECAT_DEPLOY_ACTION_JS=/path/to/dist/index.js and node installed
// (scripts/official-action.sh fetches it), and skips otherwise.
func TestOfficialDeployAction(t *testing.T) {
	js := os.Getenv("PIPECAT_DEPLOY_ACTION_JS")
	if js == "" {
		t.Skip("PIPECAT_DEPLOY_ACTION_JS is not set (scripts/official-action.sh sets it)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	url := startSandboxCommand(t)

	// The docs' cloud-build quickstart: a Dockerfile and the bot.
	work := t.TempDir()
	for name, content := range map[string]string{
		"Dockerfile": "FROM dailyco/pipecat-base:latest\nCOPY ./bot.py bot.py\n",
		"bot.py":     "async def bot(args):\n    pass\n",
	} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	output := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(output, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{
		// required by its docs
		"api-key": "pk_official_action", "agent-name": "voice-bot", "cloud-build": "true",
		// the sandbox instead of https://api.pipecat.daily.co
		"api-url": url,
		// its action.yml's defaults, which the runner passes
		"build-context": ".", "dockerfile": "Dockerfile", "build-timeout": "600", "min-agents": "0", "max-agents": "10",
		"enable-managed-keys": "false", "wait-for-ready": "true", "wait-timeout": "90",
	}
	cmd := exec.Command(node, js)
	cmd.Dir = work
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GITHUB_OUTPUT=" + output}
	for k, v := range inputs {
		// @actions/core reads INPUT_ and the name upper-cased, "-" kept.
		cmd.Env = append(cmd.Env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	out, err := cmd.CombinedOutput()
	t.Logf("the official action said:\n%s", out)
	if err != nil || bytes.Contains(out, []byte("::error::")) {
		t.Fatalf("the official action failed: %v", err)
	}

	outputs := readActionOutputs(t, output)
	if outputs["service-name"] != "voice-bot" || outputs["build-id"] == "" {
		t.Errorf("outputs %v; want service-name voice-bot and a build-id", outputs)
	}
	// The agent is ready, and the build it names succeeded.
	var agent struct {
		Ready bool `json:"ready"`
	}
	if err := json.Unmarshal(sandboxGet(t, url+"/v1/agents/voice-bot"), &agent); err != nil || !agent.Ready {
		t.Errorf("voice-bot after the action: %+v, %v; want ready", agent, err)
	}
	var build struct {
		Build struct {
			Status string `json:"status"`
		} `json:"build"`
	}
	if err := json.Unmarshal(sandboxGet(t, url+"/v1/builds/"+outputs["build-id"]), &build); err != nil || build.Build.Status != "success" {
		t.Errorf("build %s: %+v, %v; want success", outputs["build-id"], build, err)
	}
}

// sandboxGet reads a sandbox URL with an API key, and fails on a status
// other than 200.
func sandboxGet(t *testing.T, url string) []byte {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer pk_test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s %v", url, resp.StatusCode, b, err)
	}
	return b
}

// startSandboxCommand runs "pipecat-gitops sandbox" in this process on a
// free loopback port until the test ends, and returns its URL.
func startSandboxCommand(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	e := newEnv(strings.NewReader(""), io.Discard, pw, func(string) (string, bool) { return "", false }, func(any) bool { return false })
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, e, []string{"sandbox", "--listen", "127.0.0.1:0"})
		pw.Close()
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "sandbox: listening on "); ok {
				urls <- u
			}
		}
		close(urls)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatal("the sandbox command ended before listening")
		}
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("the sandbox command did not say where it listens")
	}
	return ""
}

// readActionOutputs parses a $GITHUB_OUTPUT file as the runner does:
// name=value lines and name<<DELIMITER blocks.
func readActionOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			out[name] = strings.Join(v, "\n")
			continue
		}
		if name, v, ok := strings.Cut(lines[i], "="); ok {
			out[name] = v
		}
	}
	return out
}
