#!/usr/bin/env bash
# Puts the pipecat-gitops binary of the action's own ref at
# $RUNNER_TEMP/pipecat-gitops, for action.yml's "Install" step: from the
# runner's tool cache, else from the GitHub release of that ref (its sha256
# checked against the release's checksums.txt, then cached). When no release
# matches (a branch, a commit SHA, a local action) or a download cannot be
# trusted, it says why in an annotation and sets installed=false, and the
# action's next steps build from source. It fails only when the runner's own
# variables are missing.
#
# Uses only what every runner has: bash, curl, tar (unzip on Windows),
# sha256sum or shasum, and git for resolving alias tags such as v1.
#
# Environment (the first three from action.yml, the rest the runner's):
#   ACTION_REF         github.action_ref: v1.2.3, an alias (v1, v1.2), a
#                      branch, a commit SHA, or empty for a local action
#   ACTION_REPOSITORY  github.action_repository, owner/name
#   ACTION_PATH        github.action_path, which ends in the ref
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, RUNNER_TOOL_CACHE, GITHUB_OUTPUT
# Set only by tests:
#   PIPECAT_GITOPS_RELEASE_BASE_URL  default https://github.com/OWNER/NAME/releases/download
#   PIPECAT_GITOPS_REPO_URL          default https://github.com/OWNER/NAME (tags of aliases)
# Outputs: installed (true/false), source (cache, release or build),
# version (the release tag, or what a source build stamps: the ref).
set -euo pipefail

: "${RUNNER_TEMP:?RUNNER_TEMP is not set: run this as a step of action.yml}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: run this as a step of action.yml}"

tool=pipecat-gitops
ref=${ACTION_REF:-}
repository=${ACTION_REPOSITORY:-pipecat-gitops/pipecat-gitops}
base_url=${PIPECAT_GITOPS_RELEASE_BASE_URL:-https://github.com/$repository/releases/download}
repo_url=${PIPECAT_GITOPS_REPO_URL:-https://github.com/$repository}
# Git Bash on Windows: the runner's C:\... paths as bash paths.
if command -v cygpath >/dev/null 2>&1; then
  RUNNER_TEMP=$(cygpath -u "$RUNNER_TEMP")
  if [ -n "${RUNNER_TOOL_CACHE:-}" ]; then
    RUNNER_TOOL_CACHE=$(cygpath -u "$RUNNER_TOOL_CACHE")
  fi
fi
dest="$RUNNER_TEMP/$tool"

# annotate LEVEL MESSAGE prints a workflow command; % and line breaks are
# escaped so that a ref cannot end the command early.
annotate() {
  local msg=${2//%/%25}
  msg=${msg//$'\r'/%0D}
  msg=${msg//$'\n'/%0A}
  echo "::$1 title=$tool::$msg"
}

output() {
  echo "$1=$2" >>"$GITHUB_OUTPUT"
}

# build_from_source LEVEL REASON hands over to the action's build steps,
# which stamp the ref (characters -ldflags could misread become _).
build_from_source() {
  annotate "$1" "$2; building $tool from source instead (about a minute)"
  local stamp=local
  if [ -n "$ref" ]; then
    stamp=$(printf '%s' "$ref" | tr -c 'A-Za-z0-9._+/-' '_')
  fi
  output installed false
  output source build
  output version "$stamp"
  exit 0
}

# installed SOURCE TAG DIR copies the binary from DIR into place.
installed() {
  cp "$3/$exe" "$dest"
  chmod +x "$dest"
  echo "$tool $2 from the $1 ($3) at $dest"
  output installed true
  output source "$1"
  output version "$2"
  exit 0
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{print $1}'
  else
    shasum -a 256 "$1" | awk '{print $1}'
  fi
}

# resolve_alias ALIAS prints the highest vX.Y.Z tag on the commit the alias
# tag (v1, v1.2) points at, read with git ls-remote (annotated tags peeled).
resolve_alias() {
  local listing
  listing=$(GIT_TERMINAL_PROMPT=0 git -c http.lowSpeedLimit=1 -c http.lowSpeedTime=20 ls-remote --tags "$repo_url") || return 1
  printf '%s\n' "$listing" | awk -v alias="$1" '
    {
      name = $2
      sub(/^refs\/tags\//, "", name)
      peeled = sub(/\^\{\}$/, "", name)
      if (peeled || !(name in commit)) commit[name] = $1
    }
    END {
      want = commit[alias]
      if (want == "") exit
      best = ""
      for (name in commit) {
        if (commit[name] != want || index(name, alias ".") != 1 || name !~ /^v[0-9]+\.[0-9]+\.[0-9]+$/) continue
        split(substr(name, 2), v, ".")
        if (best == "" || v[1] > b[1] || (v[1] == b[1] && (v[2] > b[2] || (v[2] == b[2] && v[3] > b[3])))) {
          best = name
          b[1] = v[1] + 0; b[2] = v[2] + 0; b[3] = v[3] + 0
        }
      }
      if (best != "") print best
    }'
}

# fetch URL FILE downloads to FILE and prints the HTTP status (000 when
# there was no answer); curl's error is left in $work/curl.err.
fetch() {
  curl --silent --show-error --location --fail --retry 2 --connect-timeout 10 --max-time 120 \
    --output "$2" --write-out '%{http_code}' "$1" 2>"$work/curl.err"
}

case "${RUNNER_OS:-}" in
  Linux) os=linux ;;
  macOS) os=darwin ;;
  Windows) os=windows ;;
  *) build_from_source notice "no release binary is built for runner OS '${RUNNER_OS:-}'" ;;
esac
case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 cache_arch=x64 ;;
  ARM64) arch=arm64 cache_arch=arm64 ;;
  *) build_from_source notice "no release binary is built for runner architecture '${RUNNER_ARCH:-}'" ;;
esac
exe=$tool
archive_ext=tar.gz
if [ "$os" = windows ]; then
  exe=$tool.exe
  archive_ext=zip
fi

# Which release: the ref itself, or for an alias the release tag on its
# commit. Anything else is not a release.
if [ -z "$ref" ]; then
  build_from_source notice "the action has no ref (a local action, uses: ./)"
fi
if [[ $ref =~ ^[0-9a-f]{40}$ ]]; then
  build_from_source notice "the action is pinned to commit $ref, so what runs is built from that commit"
fi
if ! [[ $ref =~ ^v[0-9]+(\.[0-9]+(\.[0-9]+(-[0-9A-Za-z.-]+)?)?)?$ ]]; then
  build_from_source notice "the action ref $ref is not a release tag (vX.Y.Z, or an alias such as v1)"
fi
# github.action_ref is known to carry the outer action's ref when this
# action runs inside another composite action; the runner keeps every action
# in .../OWNER/NAME/REF, so the path tells whether the ref is ours.
action_path=${ACTION_PATH:-}
action_path=${action_path//\\//}
if [[ $action_path != */"$ref" ]]; then
  build_from_source notice "github.action_ref ($ref) is not the ref of the action's path ($action_path)"
fi

tag=$ref
if ! [[ $ref =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
  if ! command -v git >/dev/null 2>&1; then
    build_from_source notice "$ref is an alias tag and git, which resolves it to a release, is not installed"
  fi
  if ! tag=$(resolve_alias "$ref"); then
    build_from_source warning "could not list the tags of $repo_url to resolve $ref"
  fi
  if [ -z "$tag" ]; then
    build_from_source notice "no vX.Y.Z tag of $repo_url is on the commit of $ref"
  fi
fi
version=${tag#v}

cache_dir=
if [ -n "${RUNNER_TOOL_CACHE:-}" ]; then
  cache_dir="$RUNNER_TOOL_CACHE/$tool/$version/$cache_arch"
  if [ -f "$cache_dir.complete" ] && [ -f "$cache_dir/$exe" ]; then
    installed cache "$tag" "$cache_dir"
  fi
fi

if ! command -v curl >/dev/null 2>&1; then
  build_from_source notice "curl, which downloads the release, is not installed"
fi
work=$(mktemp -d "$RUNNER_TEMP/$tool-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

archive="${tool}_${version}_${os}_${arch}.$archive_ext"
url="$base_url/$tag"
status=$(fetch "$url/checksums.txt" "$work/checksums.txt") || {
  if [ "$status" = 404 ]; then
    build_from_source notice "release $tag has no checksums.txt at $url (no such release, or it is still being published)"
  fi
  build_from_source warning "downloading $url/checksums.txt failed (HTTP $status): $(tail -n 1 "$work/curl.err")"
}
want=$(awk -v f="$archive" '$2 == f || $2 == "*" f {print $1; exit}' "$work/checksums.txt")
if [ -z "$want" ]; then
  build_from_source notice "release $tag has no $archive in its checksums.txt"
fi
status=$(fetch "$url/$archive" "$work/$archive") || {
  build_from_source warning "downloading $url/$archive failed (HTTP $status): $(tail -n 1 "$work/curl.err")"
}
got=$(sha256 "$work/$archive") || build_from_source warning "could not compute the sha256 of $archive (no sha256sum or shasum?)"
if [ "$got" != "$want" ]; then
  build_from_source warning "$archive of release $tag has sha256 $got, but checksums.txt says $want: refused"
fi

mkdir "$work/bin"
if [ "$os" = windows ]; then
  unzip -q "$work/$archive" "$exe" -d "$work/bin" 2>"$work/extract.err" || true
else
  tar -xzf "$work/$archive" -C "$work/bin" "$exe" 2>"$work/extract.err" || true
fi
if [ ! -f "$work/bin/$exe" ]; then
  build_from_source warning "$archive of release $tag has no $exe: $(tail -n 1 "$work/extract.err")"
fi
chmod +x "$work/bin/$exe"
# A last check that the archive holds the release it is named for and runs
# on this runner.
said=$("$work/bin/$exe" version 2>&1 | head -n 1) || true
if [[ $said != "$tool $tag" && $said != "$tool $tag "* ]]; then
  build_from_source warning "the $exe of release $tag says '$said', not '$tool $tag'"
fi

if [ -z "$cache_dir" ]; then
  installed release "$tag" "$work/bin"
fi
# The .complete marker (as the toolkit's tool cache writes it) goes last, so
# an interrupted copy is never taken for a cached binary. A cache that
# cannot be written costs the next job a download, not this one its binary.
if ! { rm -rf "$cache_dir" "$cache_dir.complete" &&
  mkdir -p "$cache_dir" &&
  cp "$work/bin/$exe" "$cache_dir/$exe" &&
  touch "$cache_dir.complete"; } 2>"$work/cache.err"; then
  annotate warning "could not cache the binary in $cache_dir: $(tail -n 1 "$work/cache.err")"
  installed release "$tag" "$work/bin"
fi
installed release "$tag" "$cache_dir"
