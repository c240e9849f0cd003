#!/usr/bin/env bash
# Renders the pull-request comment of issue 22's plan (300 agents: one alone
# moves to another secret set, 250 routine updates, 30 creates, 20 deletes,
# 2 errors) the way GitHub shows it, in headless Chromium, and checks that
# its first screen, without scrolling, holds what a reviewer must see: that
# apply refuses the plan, the counts, the deletes and the secret set move.
#
# The Markdown is rendered by a small reader in report/render_test.go (no
# dependency), which also marks the text inside the window for --dump-dom.
# Without Chromium (chromium, chromium-browser or google-chrome on PATH)
# it says so and exits 0: the Go tests check the same comment as text.
#
# Usage: scripts/render-comment.sh [OUTDIR]   (default: a temporary dir)
# Leaves comment.md, comment.html, screenshot.png and dom.html in OUTDIR.
set -euo pipefail

cd "$(dirname "$0")/.."
browser=""
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	echo "render-comment: skipped: no chromium, chromium-browser or google-chrome on PATH"
	exit 0
fi

out=${1:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
RENDER_DIR=$out go test ./report/ -run '^TestRenderComment$' -count=1 >/dev/null

# One window of a laptop screen, as a reviewer opens the pull request.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,900
	--user-data-dir="$out/profile" --virtual-time-budget=2000)
"$browser" "${flags[@]}" --screenshot="$out/screenshot.png" "file://$out/comment.html" >/dev/null 2>&1
"$browser" "${flags[@]}" --dump-dom "file://$out/comment.html" 2>/dev/null >"$out/dom.html"
rm -rf "$out/profile"

# The text inside the window, as the page's script saw it.
screen=$(sed -n '/<pre id="first-screen"/,/<\/pre>/p' "$out/dom.html")
if [ -z "$screen" ]; then
	echo "render-comment: the page did not report its first screen (see $out/dom.html)" >&2
	exit 1
fi
fail=0
for want in \
	'pipecat-gitops plan cannot be applied: 2 errors' \
	'Plan: 30 to create, 250 to update, 0 to replace, 20 to delete, 0 unchanged.' \
	'Apply refuses this plan; nothing is sent.' \
	'This plan deletes 20 agents.' \
	'legacy-ivr-01' \
	'voice-137'; do
	if ! grep -qF -- "$want" <<<"$screen"; then
		echo "render-comment: the first screen lacks: $want" >&2
		fail=1
	fi
done
if [ "$fail" != 0 ]; then
	echo "render-comment: first screen was:" >&2
	echo "$screen" >&2
	exit 1
fi
echo "render-comment: ok: the first screen holds the refusal, the counts, the deletes and the secret set move ($out/screenshot.png)"
