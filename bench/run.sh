#!/usr/bin/env bash
# The rustgate benchmark: every rule on, on ~3.3 million lines of real crates.
#
# Usage: bench/run.sh [CORPUS_DIR]     (default: ./rustgate-corpus)
#   The corpus is recreated with bench/make-corpus when CORPUS_DIR/vendor is
#   missing (needs network once: `cargo vendor` of the pinned crates).
# Environment:
#   RUNS=5          measured runs per figure (median; one warm-up run first)
#   RG_ARGS="..."   extra arguments for `rustgate check` (e.g. "--ignore RG401")
#   RESULTS=bench/RESULTS.md   where the report goes (also printed)
#   SKIP_BUILD=1    use the existing target/release/rustgate
# Needs: /usr/bin/time (GNU time, `apt-get install time`), python3, and
# ast-grep (`pip install ast-grep-cli`) for the comparison.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
corpus="$(realpath -m "${1:-rustgate-corpus}")"
runs="${RUNS:-5}"
results="${RESULTS:-$repo/bench/RESULTS.md}"
rg_args=(${RG_ARGS:-})

[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 2; }
if [ ! -d "$corpus/vendor" ]; then
  echo "bench: creating the corpus in $corpus" >&2
  "$here/make-corpus" "$corpus" >&2
fi
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$repo" && cargo build --release --quiet)
fi
bin="$repo/target/release/rustgate"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cache="$work/cache"
cd "$corpus"

check=("$bin" check --select ALL --exit-zero --format concise "${rg_args[@]}")

# measure NAME PREP CMD...: one warm-up, then $runs runs; PREP (a shell
# snippet, may be ":") runs before each. Appends "NAME median_s max_rss_kb
# min_s max_s" to $work/figures.
measure() {
  local name="$1" prep="$2"; shift 2
  local times=() rss=0 t m
  for i in $(seq 0 "$runs"); do
    eval "$prep"
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || {
      echo "bench: $name failed:" >&2; cat "$work/err" >&2; exit 1; }
    [ "$i" = 0 ] && continue
    read -r t m <"$work/t"
    times+=("$t")
    [ "$m" -gt "$rss" ] && rss="$m"
  done
  printf '%s\n' "${times[@]}" | sort -g | awk -v n="$name" -v r="$rss" \
    '{a[NR]=$1} END {m = NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%s %.3f %d %.2f %.2f\n", n, m, r, a[1], a[NR]}' \
    >>"$work/figures"
  tail -1 "$work/figures" >&2
}
fig() { awk -v n="$1" -v f="${2:-2}" '$1==n {print $f}' "$work/figures"; }

threads="$(nproc)"
clean_cache='rm -rf "$cache"'
# One file changes before each run: a comment appended (restored at the end).
changed="$(ls -S vendor/*/src/lib.rs | sed -n 1p)"  # sed reads it all: no SIGPIPE under pipefail
cp "$changed" "$work/changed.orig"
touch_one='echo "// bench $RANDOM$RANDOM" >>"$changed"'

median() { sort -g | awk '{a[NR]=$1} END {print NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# The target's own measure, from rustgate itself: cold total / (parse phase /
# threads), as `--timings` prints it, over $runs cold runs; files, lines and
# the phases of the last one.
: >"$work/ratios"
for i in $(seq 1 "$runs"); do
  rm -rf "$cache"
  "${check[@]}" --cache-dir "$cache" --timings . >/dev/null 2>"$work/timings"
  sed -nE 's/.*= ([0-9.]+) x parse.*/\1/p' "$work/timings" >>"$work/ratios"
done
parse_ratio="$(median <"$work/ratios")"
timings="$(grep '^timings:' "$work/timings")"
files="$(sed -E 's/.*\| ([0-9]+) files, ([0-9]+) lines, ([0-9.]+) MB.*/\1/' <<<"$timings")"
lines="$(sed -E 's/.*\| ([0-9]+) files, ([0-9]+) lines, ([0-9.]+) MB.*/\2/' <<<"$timings")"
mb="$(sed -E 's/.*\| ([0-9]+) files, ([0-9]+) lines, ([0-9.]+) MB.*/\3/' <<<"$timings")"
parse_cpu="$(sed -E 's/.* parse ([0-9.]+) s .*/\1/' <<<"$timings")"
rules_cpu="$(sed -E 's/.* rules ([0-9.]+) s .*/\1/' <<<"$timings")"

measure cold "$clean_cache" "${check[@]}" --cache-dir "$cache" .
measure no-cache : "${check[@]}" --no-cache .
measure warm : "${check[@]}" --cache-dir "$cache" .
measure one-changed "$touch_one" "${check[@]}" --cache-dir "$cache" .
cp "$work/changed.orig" "$changed"
measure cold-1-thread "$clean_cache" "${check[@]}" --threads 1 --cache-dir "$cache" .
measure cold-2-threads "$clean_cache" "${check[@]}" --threads 2 --cache-dir "$cache" .

# Halves: crates in name order until half the lines.
mapfile -t crates < <(ls -d vendor/*/)
total=0; declare -A crate_lines
for c in "${crates[@]}"; do
  n="$(find "$c" -name '*.rs' -print0 | xargs -0 cat 2>/dev/null | wc -l)"
  crate_lines[$c]=$n; total=$((total + n))
done
half_a=(); half_b=(); acc=0
for c in "${crates[@]}"; do
  if [ $((acc * 2)) -lt "$total" ]; then half_a+=("$c"); acc=$((acc + crate_lines[$c])); else half_b+=("$c"); fi
done
measure half-a : "${check[@]}" --no-cache "${half_a[@]}"
measure half-b : "${check[@]}" --no-cache "${half_b[@]}"

# The parse floor in the same binary: no rule enabled (`--select RG901`, the
# parse-error check), so each file is read, parsed and freed, nothing else;
# alternating with every rule on, both without cache.
: >"$work/floor"
for i in $(seq 0 "$runs"); do
  /usr/bin/time -f "%e" -o "$work/t1" "${check[@]}" --no-cache . >/dev/null 2>&1
  /usr/bin/time -f "%e" -o "$work/t2" "$bin" check --select RG901 --exit-zero --format concise --no-cache . >/dev/null 2>&1
  [ "$i" = 0 ] || echo "$(cat "$work/t1") $(cat "$work/t2")" >>"$work/floor"
done
all_alt="$(awk '{print $1}' "$work/floor" | median)"
floor_alt="$(awk '{print $2}' "$work/floor" | median)"

# ast-grep, alternating with rustgate (cold) run by run.
ast_grep="$(command -v ast-grep || true)"
if [ -n "$ast_grep" ]; then
  : >"$work/alt"
  for i in $(seq 0 "$runs"); do
    rm -rf "$cache"
    /usr/bin/time -f "%e" -o "$work/t1" "${check[@]}" --cache-dir "$cache" . >/dev/null 2>&1
    /usr/bin/time -f "%e" -o "$work/t2" "$ast_grep" run --pattern '$A.unwrap()' --lang rust vendor >/dev/null 2>&1 || true
    [ "$i" = 0 ] || echo "$(cat "$work/t1") $(cat "$work/t2")" >>"$work/alt"
  done
  rg_alt="$(awk '{print $1}' "$work/alt" | median)"
  sg_alt="$(awk '{print $2}' "$work/alt" | median)"
  sg_version="$("$ast_grep" --version)"
fi

cold="$(fig cold)"; warm="$(fig warm)"; one="$(fig one-changed)"
t1="$(fig cold-1-thread)"; t2="$(fig cold-2-threads)"
ha="$(fig half-a)"; hb="$(fig half-b)"; nc="$(fig no-cache)"
lines_a=0; for c in "${half_a[@]}"; do lines_a=$((lines_a + crate_lines[$c])); done
lines_b=$((total - lines_a))
calc() { python3 -c "print(format($1, '$2'))"; }
peak_mb="$(calc "max($(fig cold 3), $(fig warm 3), $(fig one-changed 3), $(fig no-cache 3)) / 1024" .0f)"
parse_wall="$(calc "$parse_cpu / $threads" .2f)"

{
  echo "# rustgate benchmark results"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GB RAM"
  echo "- Load average when the run ended: $(cut -d' ' -f1-3 /proc/loadavg) (the machine was shared with other builds)"
  echo "- $(rustc --version); rustgate $("$bin" --version | cut -d' ' -f2) (release: fat LTO, codegen-units 1, mimalloc)"
  echo "- Command: \`rustgate check --select ALL --exit-zero --format concise ${rg_args[*]} .\` in the corpus; $runs runs per figure after one warm-up, median (min-max)"
  echo "- Corpus: $files files, $lines lines, $mb MB (\`bench/make-corpus\`)"
  echo
  echo "| Run | Wall (s) | Range (s) | Lines/s | MB/s | Peak RSS (MiB) |"
  echo "|---|---:|---:|---:|---:|---:|"
  for n in cold no-cache warm one-changed cold-1-thread cold-2-threads half-a half-b; do
    m="$(fig $n)"; l="$lines"; b="$mb"
    [ "$n" = half-a ] && l="$lines_a" && b="-"
    [ "$n" = half-b ] && l="$lines_b" && b="-"
    mbps="-"; [ "$b" != "-" ] && mbps="$(calc "$b / $m" .1f)"
    echo "| $n | $m | $(fig $n 4)-$(fig $n 5) | $(calc "$l / $m" ,.0f) | $mbps | $(calc "$(fig $n 3) / 1024" .0f) |"
  done
  echo
  echo "Phases of one cold run (\`--timings\`, per-file phases summed over $threads threads):"
  echo
  echo '```'
  echo "$timings"
  echo '```'
  echo
  echo "| Target (2 threads) | Measured | Met |"
  echo "|---|---|---|"
  r="$parse_ratio"
  echo "| cold ≤ 1.15 × parse phase (\`--timings\`: total / (parse CPU / threads), median of $runs cold runs) | ${r} × (last run: parse ${parse_cpu} s CPU / $threads threads = $parse_wall s; rules ${rules_cpu} s CPU) | $(python3 -c "print('yes' if $r <= 1.15 else 'no')") |"
  r="$(calc "$all_alt / $floor_alt" .2f)"
  echo "| every rule vs the parse floor of the same binary (\`--select RG901\`, alternating, no cache) | ${r} × ($all_alt s vs $floor_alt s) | - |"
  if [ -n "$ast_grep" ]; then
    r="$(calc "$sg_alt / $rg_alt" .2f)"
    echo "| ≥ 2 × faster than ast-grep (\`\$A.unwrap()\`, $sg_version, alternating) | rustgate cold $rg_alt s, ast-grep $sg_alt s: ${r} × | $(python3 -c "print('yes' if $r >= 2 else 'no')") |"
  fi
  r="$(calc "100 * $warm / $cold" .1f)"
  echo "| warm ≤ 10% of cold | ${r}% ($warm s) | $(python3 -c "print('yes' if $r <= 10 else 'no')") |"
  r="$(calc "100 * $one / $cold" .1f)"
  echo "| one file changed ≤ 15% of cold | ${r}% ($one s; \`$changed\`) | $(python3 -c "print('yes' if $r <= 15 else 'no')") |"
  echo "| peak memory ≤ 350 MB | $peak_mb MiB | $(python3 -c "print('yes' if $peak_mb <= 350 else 'no')") |"
  r="$(calc "$t1 / $t2" .2f)"
  echo "| 2 threads ≥ 1.7 × 1 thread | ${r} × ($t1 s vs $t2 s) | $(python3 -c "print('yes' if $r >= 1.7 else 'no')") |"
  echo "| linear in lines | half A: $lines_a lines in $ha s ($(calc "$lines_a / $ha" ,.0f) lines/s); half B: $lines_b lines in $hb s ($(calc "$lines_b / $hb" ,.0f) lines/s); whole (no cache): $(calc "$lines / $nc" ,.0f) lines/s | - |"
} | tee "$results"
