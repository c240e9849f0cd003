package github

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Annotation is one workflow command that GitHub shows on a file and line
// of the pull request diff and in the run summary.
type Annotation struct {
	Level   string // "error", "warning" or "notice"
	File    string // relative to the repository root, forward slashes
	Line    int    // 1-based; 0 leaves it out
	Col     int    // 1-based; 0 leaves it out
	Title   string
	Message string
}

// WriteAnnotation writes a as one workflow command line, for example
// "::error file=pipecat.yaml,line=12,col=7,title=T::message". Properties and
// message are escaped the way the runner unescapes them, so a message with
// newlines or "%" arrives intact and a ":" or "," in a property cannot end
// it early.
func WriteAnnotation(w io.Writer, a Annotation) error {
	switch a.Level {
	case "error", "warning", "notice":
	default:
		return fmt.Errorf("write annotation: level %q is not error, warning or notice", a.Level)
	}
	var props []string
	if a.File != "" {
		props = append(props, "file="+escapeProperty(a.File))
	}
	if a.Line > 0 {
		props = append(props, "line="+strconv.Itoa(a.Line))
	}
	if a.Col > 0 {
		props = append(props, "col="+strconv.Itoa(a.Col))
	}
	if a.Title != "" {
		props = append(props, "title="+escapeProperty(a.Title))
	}
	line := "::" + a.Level
	if len(props) > 0 {
		line += " " + strings.Join(props, ",")
	}
	line += "::" + escapeData(a.Message) + "\n"
	_, err := io.WriteString(w, line)
	return err
}

// escapeData escapes a workflow command's message; "%" comes first so the
// escapes it adds are not escaped again.
func escapeData(s string) string {
	s = strings.ReplaceAll(s, "%", "%25")
	s = strings.ReplaceAll(s, "\r", "%0D")
	return strings.ReplaceAll(s, "\n", "%0A")
}

func escapeProperty(s string) string {
	s = escapeData(s)
	s = strings.ReplaceAll(s, ":", "%3A")
	return strings.ReplaceAll(s, ",", "%2C")
}

// AppendStepSummary appends markdown to the job summary file
// ($GITHUB_STEP_SUMMARY), creating it if absent, and ends it with a newline
// so the next step's summary starts on a line of its own.
func AppendStepSummary(path, markdown string) error {
	if path == "" {
		return errors.New("append step summary: no file path")
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return appendFile(path, markdown)
}

// Output is one step output written to $GITHUB_OUTPUT.
type Output struct{ Name, Value string }

// OutputNames are the outputs the binary writes after plan and apply; the
// action's outputs must be exactly these (a test checks action.yml).
var OutputNames = []string{"has-changes", "created", "updated", "replaced", "deleted", "failed", "unhealthy", "plan-file", "summary-file",
	"changed-agents", "service-name", "build-ids", "build-id"}

// WriteOutputs appends outs to the $GITHUB_OUTPUT file at path. A value
// holding a newline uses the "name<<DELIMITER" form with a random
// delimiter that does not occur in the value, so a value can never end the
// block early or inject another output.
func WriteOutputs(path string, outs []Output) error {
	if path == "" {
		return errors.New("write outputs: no file path")
	}
	var b strings.Builder
	if err := formatOutputs(&b, outs, randomDelimiter); err != nil {
		return err
	}
	return appendFile(path, b.String())
}

func formatOutputs(b *strings.Builder, outs []Output, newDelimiter func() string) error {
	for _, o := range outs {
		if o.Name == "" || strings.ContainsAny(o.Name, "=\r\n") || strings.Contains(o.Name, "<<") {
			return fmt.Errorf("write outputs: invalid output name %q", o.Name)
		}
		if !strings.ContainsAny(o.Value, "\r\n") {
			fmt.Fprintf(b, "%s=%s\n", o.Name, o.Value)
			continue
		}
		delim := newDelimiter()
		for strings.Contains(o.Value, delim) {
			delim = newDelimiter()
		}
		fmt.Fprintf(b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	return nil
}

func randomDelimiter() string {
	var buf [16]byte
	if _, err := rand.Read(buf[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return "ghadelimiter_" + hex.EncodeToString(buf[:])
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ConfigPathForMarker returns the config path as it appears in the comment
// marker: relative to the repository root (workspace, which is
// GITHUB_WORKSPACE or the git top level), cleaned, with forward slashes, so
// "-f ./pipecat.yaml" and "-f pipecat.yaml", or a run from a subdirectory,
// all name one comment. cwd resolves a relative configPath. With no
// workspace, or a config outside it, the cleaned path is used as given.
func ConfigPathForMarker(configPath, workspace, cwd string) string {
	p := configPath
	if !filepath.IsAbs(p) && cwd != "" {
		p = filepath.Join(cwd, p)
	}
	if workspace != "" && filepath.IsAbs(p) {
		if rel, ok := relInside(workspace, p); ok {
			return filepath.ToSlash(rel)
		}
		// The runner's workspace and the process's directory may name
		// the same place through a symlink (macOS /tmp); compare the
		// resolved paths before giving up.
		ws, err1 := filepath.EvalSymlinks(workspace)
		dir, err2 := filepath.EvalSymlinks(filepath.Dir(p))
		if err1 == nil && err2 == nil {
			if rel, ok := relInside(ws, filepath.Join(dir, filepath.Base(p))); ok {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(configPath))
}

func relInside(root, path string) (string, bool) {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return rel, true
}
