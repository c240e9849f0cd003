package report

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRenderComment writes issue 22's comment, and its HTML as GitHub
// would show it, to $RENDER_DIR for scripts/render-comment.sh, which
// opens it in headless Chromium; without RENDER_DIR it is skipped.
func TestRenderComment(t *testing.T) {
	dir := os.Getenv("RENDER_DIR")
	if dir == "" {
		t.Skip("RENDER_DIR is not set: run scripts/render-comment.sh")
	}
	md := PlanMarkdown(plan22(t), sampleMeta)
	page := "<!doctype html><html><head><meta charset=utf-8><title>plan comment</title><style>" + renderCSS + "</style></head><body><article>" +
		mdToHTML(md) + "</article>" + firstScreenScript + "</body></html>\n"
	for name, data := range map[string]string{"comment.md": md, "comment.html": page} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMarkdownToHTML checks the small renderer on what the comment uses.
func TestMarkdownToHTML(t *testing.T) {
	got := mdToHTML("### Head `a|b`\n\n> [!CAUTION]\n> **Apply refuses**: x\n>\n> - one\n\n| A | B |\n| --- | ---: |\n| `x\\|y` | **z** |\n\n<details><summary>S</summary>\n\n```diff\n- a: <b>\n```\n\n</details>\n")
	for _, want := range []string{
		"<h3>Head <code>a|b</code></h3>",
		`<div class="alert alert-caution"><p class="alert-title">Caution</p><p><strong>Apply refuses</strong>: x</p><ul><li>one</li></ul></div>`,
		"<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td><code>x|y</code></td><td><strong>z</strong></td></tr></tbody></table>",
		"<details><summary>S</summary>",
		"<pre><code>- a: &lt;b&gt;\n</code></pre>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("HTML lacks %q:\n%s", want, got)
		}
	}
}

// mdToHTML renders the Markdown subset the comments use, as GitHub does:
// headings, paragraphs, alerts, lists, tables, fenced code, raw HTML
// lines (<details>, <summary>, comments), code spans, bold, italics and
// links. It is a test's reader, not a general renderer.
func mdToHTML(md string) string {
	var b strings.Builder
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			i++
		case strings.HasPrefix(line, "```"):
			fence := line[:strings.LastIndex(line, "`")+1]
			i++
			b.WriteString("<pre><code>")
			for ; i < len(lines) && lines[i] != fence; i++ {
				b.WriteString(html.EscapeString(lines[i]) + "\n")
			}
			b.WriteString("</code></pre>\n")
			i++
		case strings.HasPrefix(line, "<"):
			b.WriteString(line + "\n") // raw HTML, as GitHub passes it
			i++
		case strings.HasPrefix(line, "#"):
			level := len(line) - len(strings.TrimLeft(line, "#"))
			tag := "h" + string(rune('0'+level))
			b.WriteString("<" + tag + ">" + inline(strings.TrimSpace(line[level:])) + "</" + tag + ">\n")
			i++
		case line == "---":
			b.WriteString("<hr>\n")
			i++
		case strings.HasPrefix(line, ">"):
			var inner []string
			for ; i < len(lines) && strings.HasPrefix(lines[i], ">"); i++ {
				inner = append(inner, strings.TrimPrefix(strings.TrimPrefix(lines[i], ">"), " "))
			}
			if m := alertHead.FindStringSubmatch(inner[0]); m != nil {
				kind := strings.ToLower(m[1])
				b.WriteString(`<div class="alert alert-` + kind + `"><p class="alert-title">` + strings.ToUpper(kind[:1]) + kind[1:] + "</p>" +
					strings.ReplaceAll(mdToHTML(strings.Join(inner[1:], "\n")), "\n", "") + "</div>\n")
			} else {
				b.WriteString("<blockquote>" + mdToHTML(strings.Join(inner, "\n")) + "</blockquote>\n")
			}
		case strings.HasPrefix(line, "- "):
			b.WriteString("<ul>")
			for ; i < len(lines) && strings.HasPrefix(lines[i], "- "); i++ {
				b.WriteString("<li>" + inline(lines[i][2:]) + "</li>")
			}
			b.WriteString("</ul>\n")
		case strings.HasPrefix(line, "|"):
			b.WriteString("<table><thead><tr>")
			for _, c := range cells(line) {
				b.WriteString("<th>" + inline(c) + "</th>")
			}
			b.WriteString("</tr></thead><tbody>")
			for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
				b.WriteString("<tr>")
				for _, c := range cells(lines[i]) {
					b.WriteString("<td>" + inline(c) + "</td>")
				}
				b.WriteString("</tr>")
			}
			b.WriteString("</tbody></table>\n")
		default:
			var para []string
			for ; i < len(lines) && strings.TrimSpace(lines[i]) != "" && !strings.HasPrefix(lines[i], ">") && !strings.HasPrefix(lines[i], "|"); i++ {
				para = append(para, inline(lines[i]))
			}
			b.WriteString("<p>" + strings.Join(para, " ") + "</p>\n")
		}
	}
	return b.String()
}

var (
	alertHead = regexp.MustCompile(`^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]$`)
	codeSpan  = regexp.MustCompile("(`+)(.+?)(`+)")
	bold      = regexp.MustCompile(`\*\*(.+?)\*\*`)
	link      = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	escaped   = regexp.MustCompile(`\\([\\` + "`" + `*_\[\]~$|#])`)
)

// cells splits a table row on the pipes that are not escaped.
func cells(row string) []string {
	row = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(row), "|"), "|")
	var out []string
	start := 0
	for i := 0; i < len(row); i++ {
		if row[i] == '\\' {
			i++
			continue
		}
		if row[i] == '|' {
			out = append(out, strings.TrimSpace(row[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(row[start:]))
}

// inline renders code spans (their content as is), then bold, links and
// backslash escapes in the text around them.
func inline(s string) string {
	var b strings.Builder
	for {
		loc := codeSpan.FindStringSubmatchIndex(s)
		if loc == nil || s[loc[2]:loc[3]] != s[loc[6]:loc[7]] {
			b.WriteString(text(s))
			return b.String()
		}
		b.WriteString(text(s[:loc[0]]))
		code := strings.ReplaceAll(s[loc[4]:loc[5]], `\|`, "|")
		b.WriteString("<code>" + html.EscapeString(strings.TrimSpace(code)) + "</code>")
		s = s[loc[1]:]
	}
}

func text(s string) string {
	s = bold.ReplaceAllString(s, "<strong>$1</strong>")
	s = link.ReplaceAllString(s, `<a href="$2">$1</a>`)
	return escaped.ReplaceAllString(s, "$1")
}

// renderCSS is close enough to GitHub's comment style for a screenshot:
// its width, font size and alert colours.
const renderCSS = `body{font:14px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;padding:16px;color:#1f2328;background:#fff}
article{max-width:780px}
h3{font-size:1.25em;margin:.5em 0}h4{font-size:1em}
code{font:12px ui-monospace,monospace;background:#eff1f3;padding:.1em .3em;border-radius:4px}
pre{background:#f6f8fa;padding:8px;overflow:auto}pre code{background:none;padding:0}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d1d9e0;padding:4px 8px;vertical-align:top}
ul{margin:4px 0;padding-left:2em}p{margin:0 0 8px}
.alert{border-left:4px solid;padding:4px 12px;margin:0 0 12px}.alert-title{font-weight:600}
.alert-caution{border-color:#cf222e}.alert-caution .alert-title{color:#d1242f}
.alert-warning{border-color:#9a6700}.alert-warning .alert-title{color:#9a6700}
.alert-important{border-color:#8250df}.alert-important .alert-title{color:#8250df}
.alert-note{border-color:#0969da}.alert-note .alert-title{color:#0969da}`

// firstScreenScript writes the text of what shows in the window, without
// scrolling, into <pre id="first-screen">, which --dump-dom then holds.
const firstScreenScript = `<script>
window.addEventListener('load', () => {
  const seen = [];
  const walk = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const n = walk.currentNode;
    if (!n.textContent.trim() || !n.parentElement.offsetParent) continue;
    const r = document.createRange(); r.selectNodeContents(n);
    const box = r.getBoundingClientRect();
    if (box.height > 0 && box.top < window.innerHeight) seen.push(n.textContent.replace(/\s+/g, ' ').trim());
  }
  const pre = document.createElement('pre');
  pre.id = 'first-screen'; pre.hidden = true; pre.textContent = seen.join('\n');
  document.body.appendChild(pre);
});
</script>`
