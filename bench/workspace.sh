#!/usr/bin/env bash
# Discovery time (manifests, targets, module trees) on a generated workspace of
# N members, and on any folders given, for one or two rustgate binaries side by
# side: median of RUNS runs of the `discovery` figure of `--timings`.
#
# Usage: bench/workspace.sh BINARY [OTHER_BINARY] [-- DIR...]
#   MEMBERS=200  members of the generated workspace
#   RUNS=5       runs per figure
set -euo pipefail
members="${MEMBERS:-200}"
runs="${RUNS:-5}"
bins=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do bins+=("$(realpath "$1")"); shift; done
[ "${1:-}" = "--" ] && shift
dirs=("$@")
[ "${#bins[@]}" -ge 1 ] || { echo "usage: $0 BINARY [OTHER_BINARY] [-- DIR...]" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ws="$work/ws"
mkdir -p "$ws"
{
  echo '[workspace]'
  echo 'members = ["crates/*"]'
  echo 'resolver = "2"'
  echo '[workspace.package]'
  echo 'version = "0.1.0"'
  echo 'edition = "2021"'
} >"$ws/Cargo.toml"
for i in $(seq 1 "$members"); do
  d="$ws/crates/m$i"
  mkdir -p "$d/src/api" "$d/tests"
  dep=""
  [ "$i" -gt 1 ] && dep="m$((i - 1)) = { path = \"../m$((i - 1))\" }"
  printf '[package]\nname = "m%s"\nversion.workspace = true\nedition.workspace = true\n\n[dependencies]\n%s\n' "$i" "$dep" >"$d/Cargo.toml"
  printf 'pub mod api;\n#[cfg(test)]\nmod tests;\npub fn f() -> u32 { 1 }\n' >"$d/src/lib.rs"
  printf 'pub mod v1;\n' >"$d/src/api.rs"
  printf 'pub fn g() {}\n' >"$d/src/api/v1.rs"
  printf '#[test]\nfn t() {}\n' >"$d/src/tests.rs"
  printf '#[test]\nfn it() {}\n' >"$d/tests/it.rs"
done
dirs=("$ws" "${dirs[@]}")

median() { sort -g | awk '{a[NR]=$1} END {print NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-40s' "folder"
for b in "${bins[@]}"; do printf ' %24s' "$(basename "$(dirname "$b")")/$(basename "$b")"; done
echo "   (discovery, median of $runs, s)"
for d in "${dirs[@]}"; do
  label="$d"; [ "$d" = "$ws" ] && label="generated, $members members"
  printf '%-40s' "$label"
  for b in "${bins[@]}"; do
    : >"$work/t"
    for _ in $(seq 1 "$runs"); do
      (cd "$d" && "$b" check . --no-cache --exit-zero --format concise --timings 2>&1 >/dev/null) |
        sed -nE 's/^timings: discovery ([0-9.]+) s.*/\1/p' >>"$work/t"
    done
    printf ' %24s' "$(median <"$work/t")"
  done
  echo
done
