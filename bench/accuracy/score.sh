#!/usr/bin/env bash
# Runs RUSTGATE (preview rules on) on the services of labels.tsv and scores
# the findings of its preview rules (RULES below) against the labels: useful = TP / labelled findings.
# Repositories: ~/.cache/rustgate-realworld/NAME@* (shared/realworld/run.py
# extracts them) and $EXTRA/OWNER+NAME (git archive of a `fetch` mirror).
set -euo pipefail
bin="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
extra="${EXTRA:-/tmp/extra}"
rules="RG501,RG502,RG601,RG602,RG603,RG604,RG605"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
run() { # NAME DIR
  [ -d "$2" ] || { echo "missing $2" >&2; return; }
  (cd "$2" && "$bin" check . --preview --select "$rules" --no-cache --format concise --exit-zero 2>/dev/null) |
    awk -v n="$1" -F: '{print n "\t" $4 "\t" $1 "\t" $2}' | sed 's/\t \(RG[0-9]*\) [^\t]*/\t\1/' >>"$out"
}
cache=~/.cache/rustgate-realworld
for n in actix-examples readur plume lldap; do run "$n" "$(ls -d $cache/$n@* | head -1)"; done
run axum-examples "$(ls -d $cache/axum-examples@* | head -1)/examples"
run mini-redis "$extra/tokio-rs+mini-redis"
run svix-webhooks "$extra/svix+svix-webhooks"
python3 - "$here/labels.tsv" "$out" "$rules" "${@:2}" <<'PY'
import csv, sys, collections
labels = {}
for r in csv.DictReader(open(sys.argv[1]), delimiter="\t"):
    labels[(r["repo"], r["rule"], r["path"], int(r["start_line"]))] = r["verdict"]
count = collections.defaultdict(collections.Counter)
for line in open(sys.argv[2]):
    repo, rule, path, ln = line.rstrip("\n").split("\t")
    rule = rule.split()[0]
    count[rule][labels.get((repo, rule, path, int(ln)), "unlabelled")] += 1
for rule in sys.argv[3].split(","):
    c = count[rule]
    labelled = c["TP"] + c["FP"] + c["NOISE"]
    useful = f"{c['TP'] / labelled:.2f}" if labelled else "n/a"
    print(f"{rule} useful={useful} tp={c['TP']} fp={c['FP']} noise={c['NOISE']} unlabelled={c['unlabelled']}")
if "--show" in sys.argv[4:]:
    for line in open(sys.argv[2]):
        repo, rule, path, ln = line.rstrip("\n").split("\t")
        print(labels.get((repo, rule.split()[0], path, int(ln)), "unlabelled"), repo, rule, f"{path}:{ln}")
PY
