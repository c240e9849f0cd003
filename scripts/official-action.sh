#!/usr/bin/env bash
# Runs the official Pipecat Cloud deploy action (its dist/index.js) with
# only the inputs its docs require (api-key, agent-name, cloud-build: true)
# against `pipecat-gitops sandbox`: TestOfficialDeployAction in
# cmd_official_action_test.go. The action's code is not in this
# repository; give it one of these ways:
#
#   PIPECAT_DEPLOY_ACTION_JS=/path/to/dist/index.js scripts/official-action.sh
#   PIPECAT_DEPLOY_ACTION_FETCH=1 scripts/official-action.sh   # clones the release tag
#
# PIPECAT_DEPLOY_ACTION_REF picks the tag to clone (default v2.0.3, the
# release docs/migrating.md maps). Without node, or without the action's
# code, it says why and exits 0 (skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "official-action: skipped: node is not installed"
  exit 0
fi
js="${PIPECAT_DEPLOY_ACTION_JS:-}"
if [ -z "$js" ] && [ "${PIPECAT_DEPLOY_ACTION_FETCH:-}" = 1 ]; then
  ref="${PIPECAT_DEPLOY_ACTION_REF:-v2.0.3}"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  git clone --quiet --depth=1 --branch "$ref" https://github.com/daily-co/pipecat-cloud-deploy-action "$tmp/action"
  js="$tmp/action/dist/index.js"
fi
if [ -z "$js" ]; then
  echo "official-action: skipped: set PIPECAT_DEPLOY_ACTION_JS=/path/to/dist/index.js, or PIPECAT_DEPLOY_ACTION_FETCH=1 to clone the release"
  exit 0
fi
if [ ! -f "$js" ]; then
  echo "official-action: $js does not exist" >&2
  exit 1
fi
PIPECAT_DEPLOY_ACTION_JS="$(cd "$(dirname "$js")" && pwd)/$(basename "$js")" \
  exec go test -count=1 -run '^TestOfficialDeployAction$' -v .
