package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// commandDoc is what a command's help says besides its flags. Each
// cmd_*.go keeps its doc next to the flags it describes.
type commandDoc struct {
	// summary is one sentence: what the command does. The command list
	// and the first line of --help show it.
	summary string
	// about, when set, says more in a paragraph after the usage line.
	about string
	// env lists the environment variables the command reads.
	env []envDoc
	// exits lists the exit codes and what each means.
	exits []exitDoc
}

type envDoc struct{ name, what string }

type exitDoc struct {
	code int
	what string
}

// Environment shared by several commands.
var (
	envAPI = []envDoc{
		{"PIPECAT_API_KEY", "the organization's private API key (not needed with --sandbox); never a flag, so it stays out of shell history"},
		{"PIPECAT_API_URL", "the API base URL when --api-url is not given (default https://api.pipecat.daily.co)"},
	}
	envConfig = envDoc{"${VAR} in pipecat.yaml", "every variable the config references is read when it is loaded"}
	envColor  = envDoc{"NO_COLOR", "set and not empty: no colour, even on a terminal"}
	envRun    = []envDoc{
		{"GITHUB_ACTIONS", "\"true\": also write annotations, the job summary ($GITHUB_STEP_SUMMARY) and step outputs ($GITHUB_OUTPUT)"},
		{"GITHUB_WORKSPACE", "the repository root the comment marker's config path is relative to"},
		{"GITHUB_SHA, GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID", "the commit and workflow run named in the Markdown footer"},
	}
	exitSuccess = exitDoc{0, "success"}
)

// envSecretSets is read by plan and apply only: validate checks the
// names, never the values.
var envSecretSets = envDoc{"fromEnv of secretSets", "the value of each key of a declared secret set (set and not empty), read by plan and, again, by apply; never shown, and fingerprinted with PIPECAT_API_KEY (\"sandbox\" with --sandbox)"}

// envPlanning is what plan and apply read.
var envPlanning = append(append(append([]envDoc{}, envAPI...), envConfig, envSecretSets, envColor), envRun...)

// helpDoc documents help itself, which is in the command table so that it
// is listed and suggested like any command.
var helpDoc = commandDoc{
	summary: "Show the help of a command or topic, or the list of both.",
	exits: []exitDoc{
		exitSuccess,
		{1, "unknown command or topic"},
	},
}

// cmdHelp prints the usage, or the help of the command named.
func cmdHelp(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "help", "help [COMMAND|TOPIC]")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch fs.NArg() {
	case 0:
		usage(e.stdout)
		return nil
	case 1:
		if t, ok := findTopic(fs.Arg(0)); ok {
			io.WriteString(e.stdout, t.text())
			return nil
		}
		c, ok := findCommand(fs.Arg(0))
		if !ok {
			return unknownHelp(fs.Arg(0))
		}
		return c.run(ctx, e, []string{"--help"})
	}
	return fmt.Errorf("help: one command at most, got %d arguments", fs.NArg())
}

// findCommand returns the command called name.
func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// unknownCommand is the error for a command name that is not one, with
// the nearest command, if any is near, as a hint and in near.
func unknownCommand(name string) (near string, err error) {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	hints := []string{"run 'pipecat-gitops help' for the list of commands"}
	if near = schema.Suggest(name, names); near != "" {
		hints = append([]string{fmt.Sprintf("did you mean %q?", near)}, hints...)
	}
	return near, withHint(fmt.Errorf("unknown command %q", name), hints...)
}

// usage lists the commands.
func usage(w io.Writer) {
	fmt.Fprintf(w, "pipecat-gitops keeps the agents of a Pipecat Cloud organization equal to a\npipecat.yaml kept in git.\n\nUsage: pipecat-gitops <command> [flags]\n\nCommands:\n")
	var b strings.Builder
	rows := make([][2]string, len(commands))
	for i, c := range commands {
		rows[i] = [2]string{c.name, c.doc.summary}
	}
	writeRows(&b, rows)
	io.WriteString(w, b.String())
	b.Reset()
	b.WriteString("\nHelp topics:\n")
	rows = rows[:0]
	for _, t := range helpTopics {
		rows = append(rows, [2]string{t.name, t.summary})
	}
	writeRows(&b, rows)
	io.WriteString(w, b.String())
	fmt.Fprintf(w, "\nRun 'pipecat-gitops help <command>' (or '<command> --help') for its flags,\nenvironment and exit codes, and 'pipecat-gitops help <topic>' for a topic.\n")
}

// helpWidth is the width help text is wrapped to.
const helpWidth = 80

// writeHelp writes a command's help: its summary, usage line, flags,
// environment and exit codes.
func writeHelp(w io.Writer, name, usageLine string, fs *pflag.FlagSet) {
	var doc commandDoc
	if c, ok := findCommand(name); ok {
		doc = *c.doc
	}
	var b strings.Builder
	if doc.summary != "" {
		b.WriteString(wrap(doc.summary, "", helpWidth) + "\n\n")
	}
	for i, l := range strings.Split(usageLine, "\n") {
		b.WriteString(usageText(l, i == 0))
	}
	if doc.about != "" {
		for _, para := range strings.Split(doc.about, "\n\n") {
			b.WriteString("\n" + wrap(para, "", helpWidth) + "\n")
		}
	}
	b.WriteString("\nFlags:\n")
	var rows [][2]string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			rows = append(rows, flagRow(f, usageLine))
		}
	})
	rows = append(rows, [2]string{"-h, --help", "show this help"})
	writeRows(&b, rows)

	b.WriteString("\nEnvironment:\n")
	if len(doc.env) == 0 {
		b.WriteString("  none\n")
	}
	rows = rows[:0]
	for _, v := range doc.env {
		rows = append(rows, [2]string{v.name, v.what})
	}
	writeRows(&b, rows)

	b.WriteString("\nExit codes:\n")
	rows = rows[:0]
	for _, x := range doc.exits {
		rows = append(rows, [2]string{fmt.Sprint(x.code), x.what})
	}
	writeRows(&b, rows)
	io.WriteString(w, b.String())
}

// usageText is one line of a usage text ("Usage: ..." first, "   or: ..."
// after), wrapped between its [options], with the continuation lines
// indented under the first option.
func usageText(line string, first bool) string {
	name, rest, _ := strings.Cut(line, " ")
	head := "   or: pipecat-gitops " + name
	if first {
		head = "Usage: pipecat-gitops " + name
	}
	if rest == "" {
		return head + "\n"
	}
	indent := strings.Repeat(" ", len(head)+1)
	var lines []string
	cur, fresh := head, true // fresh: no part on this line yet
	for _, part := range usageParts.FindAllString(rest, -1) {
		if !fresh && len(cur)+1+len(part) > helpWidth {
			lines = append(lines, cur)
			cur, fresh = indent[:len(indent)-1], true
		}
		cur, fresh = cur+" "+part, false
	}
	return strings.Join(append(lines, cur), "\n") + "\n"
}

// usageParts are the words of a usage line, an [option group] being one.
var usageParts = regexp.MustCompile(`\[[^\]]*\]|\S+`)

// flagRow is a flag's left column ("-f, --file FILE", "--wait",
// "--sandbox[=STATEFILE]") and its description with its default.
func flagRow(f *pflag.Flag, usageLine string) [2]string {
	left := "    --" + f.Name
	if f.Shorthand != "" {
		left = "-" + f.Shorthand + ", --" + f.Name
	}
	name, text := pflag.UnquoteUsage(f)
	isBool := f.Value.Type() == "bool"
	if !isBool {
		name = placeholder(f, name, usageLine)
		if f.NoOptDefVal != "" {
			left += "[=" + name + "]"
			text += fmt.Sprintf(" (%s defaults to %q)", name, f.NoOptDefVal)
		} else {
			left += " " + name
		}
	}
	switch f.DefValue {
	case "", "0", "false", "0s", "[]":
	default:
		if f.Value.Type() == "string" {
			text += fmt.Sprintf(" (default %q)", f.DefValue)
		} else {
			text += " (default " + f.DefValue + ")"
		}
	}
	return [2]string{left, text}
}

// placeholder names a flag's value as the command's usage line does
// ("--out PLANFILE", "-f FILE"), else as its usage text does (a
// `backquoted` word, which pflag returns as quoted), else by its type.
func placeholder(f *pflag.Flag, quoted, usageLine string) string {
	for _, form := range []string{"--" + f.Name, "-" + f.Shorthand} {
		if form == "-" {
			continue
		}
		re := regexp.MustCompile(`(?:^|[\[ ])` + regexp.QuoteMeta(form) + `[ =]([^\s\]]+)`)
		if m := re.FindStringSubmatch(usageLine); m != nil {
			return m[1]
		}
	}
	if quoted != f.Value.Type() {
		return strings.ToUpper(quoted)
	}
	switch f.Value.Type() {
	case "int", "int64", "uint":
		return "N"
	case "float64":
		return "F"
	case "duration":
		return "DURATION"
	}
	words := strings.Split(f.Name, "-")
	return strings.ToUpper(words[len(words)-1])
}

// writeRows writes two columns, the second wrapped and aligned.
func writeRows(b *strings.Builder, rows [][2]string) {
	col := 0
	for _, r := range rows {
		if n := len(r[0]); n <= 30 {
			col = max(col, n)
		}
	}
	indent := strings.Repeat(" ", 2+col+2)
	for _, r := range rows {
		b.WriteString("  " + r[0])
		if len(r[0]) > col {
			// Too long for the column: the description goes below.
			b.WriteString("\n" + indent)
		} else {
			b.WriteString(strings.Repeat(" ", col-len(r[0])+2))
		}
		b.WriteString(strings.TrimPrefix(wrap(r[1], indent, helpWidth), indent) + "\n")
	}
}

// wrap breaks text into lines of at most width characters (a longer word
// stays whole), each starting with indent.
func wrap(text, indent string, width int) string {
	var lines []string
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}
