#!/usr/bin/env bash
# The shell steps of the GitHub Action (action.yml), kept here so they can be
# tested outside GitHub (tests/action.rs runs them in a simulated environment).
#
#   action.sh key      cache key and install directory of the binary (step outputs)
#   action.sh install  the release binary into that directory, else a build
#                      (scripts/install.sh)
#   action.sh check    one `rustgate check`: annotations on stdout, SARIF, job
#                      summary, outputs; exits 1 when the gate fails, 2 on errors
#
# Inputs arrive as INPUT_* environment variables (set by action.yml's `env:`).
set -uo pipefail

action_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

output() { # name value
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

cmd_key() {
  local version=${INPUT_VERSION:-} id
  if [ -n "$version" ]; then
    id="crates-$version"
  else
    # The action's own checkout: its version plus a hash of its sources, so a
    # branch ref that moves (`@main`) never reuses a stale binary.
    local v
    v=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n1)
    local hash
    hash=$(cd "$action_dir" && find Cargo.toml Cargo.lock rules/Cargo.toml src rules/src -type f 2>/dev/null \
      | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)
    id="$v-$hash"
  fi
  local key="rustgate-${RUNNER_OS:-local}-${RUNNER_ARCH:-local}-$id"
  output key "$key"
  output dir "$HOME/.rustgate-action/$key"
  echo "cache key: $key"
}

cmd_install() {
  : "${RUSTGATE_INSTALL_DIR:?RUSTGATE_INSTALL_DIR is not set}"
  RUSTGATE_VERSION=${INPUT_VERSION:-} bash "$action_dir/scripts/install.sh"
}

# A field of the JSON output's summary: `"errors": 3,`.
json_field() { # name file
  sed -n "s/^ *\"$1\": \"\{0,1\}\([a-z0-9]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$2" | head -n1
}

cmd_check() {
  local workspace=${GITHUB_WORKSPACE:-$PWD}
  local tmp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
  local sarif=${INPUT_SARIF_FILE:-}
  [ -n "$sarif" ] || sarif="$tmp/rustgate.sarif"
  case "$sarif" in /*) ;; *) sarif="$workspace/$sarif" ;; esac
  cd "$workspace/${INPUT_WORKING_DIRECTORY:-.}" || exit 2

  local -a args=(check)
  # Paths and extra arguments are split on whitespace, like a command line.
  # shellcheck disable=SC2206
  args+=(${INPUT_PATHS:-.})
  local summary="$tmp/rustgate-summary.md" json="$tmp/rustgate.json"
  args+=(--format github --output "sarif=$sarif" --output "summary=$summary" --output "json=$json")
  [ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
  [ -z "${INPUT_FAIL_ON:-}" ] || args+=(--fail-on "$INPUT_FAIL_ON")
  [ -z "${INPUT_CATEGORY:-}" ] || args+=(--sarif-category "$INPUT_CATEGORY")
  [ -z "${INPUT_BASELINE:-}" ] || args+=(--baseline "$INPUT_BASELINE")

  # diff-base: the input, else the pull request's base branch; `none` = off.
  local base=${INPUT_DIFF_BASE:-}
  if [ "$base" = none ]; then
    base=
  elif [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
    base="origin/$GITHUB_BASE_REF"
    if ! git merge-base "$base" HEAD >/dev/null 2>&1; then
      git fetch --no-tags --quiet origin "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" 2>/dev/null
      if ! git merge-base "$base" HEAD >/dev/null 2>&1; then
        echo "::warning title=rustgate::no merge base with $base (check out with fetch-depth: 0); every finding gates the run"
        base=
      fi
    fi
  fi
  [ -z "$base" ] || args+=(--diff-base "$base")

  local report
  for report in ${INPUT_COVERAGE:-}; do args+=(--coverage "$report"); done
  [ -z "${INPUT_MIN_LINE_COVERAGE:-}" ] || args+=(--min-line-coverage "$INPUT_MIN_LINE_COVERAGE")
  [ -z "${INPUT_MIN_PATCH_COVERAGE:-}" ] || args+=(--min-patch-coverage "$INPUT_MIN_PATCH_COVERAGE")
  # shellcheck disable=SC2206
  args+=(${INPUT_ARGS:-})

  echo "rustgate ${args[*]}" >&2
  rm -f "$json" "$summary"
  rustgate "${args[@]}"
  local rc=$?
  if [ "$rc" -gt 1 ] || [ ! -f "$json" ]; then
    echo "::error title=rustgate::rustgate could not run (exit code $rc); see the log above"
    output gate error
    exit 2
  fi
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$summary" ]; then
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
  fi
  local errors warnings notes gate
  gate=$(json_field gate "$json")
  errors=$(json_field errors "$json")
  warnings=$(json_field warnings "$json")
  notes=$(json_field notes "$json")
  output errors "${errors:-0}"
  output warnings "${warnings:-0}"
  output notes "${notes:-0}"
  output findings "$((${errors:-0} + ${warnings:-0} + ${notes:-0}))"
  # New findings: those that gate (not baselined, on a changed line).
  local new_errors new_warnings new_notes
  new_errors=$(json_field new_errors "$json")
  new_warnings=$(json_field new_warnings "$json")
  new_notes=$(json_field new_notes "$json")
  output new-errors "${new_errors:-0}"
  output new-warnings "${new_warnings:-0}"
  output new-notes "${new_notes:-0}"
  output new-findings "$((${new_errors:-0} + ${new_warnings:-0} + ${new_notes:-0}))"
  output sarif-file "$sarif"
  output gate "${gate:-fail}"
  if [ "$rc" -eq 1 ]; then
    echo "rustgate: the gate failed" >&2
    exit 1
  fi
}

case "${1:-}" in
  key) cmd_key ;;
  install) cmd_install ;;
  check) cmd_check ;;
  *) echo "usage: action.sh key|install|check" >&2; exit 2 ;;
esac
