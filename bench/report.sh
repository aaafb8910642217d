#!/usr/bin/env bash
# `encore report --format html` end to end (issue 23's target: under 200 ms and 300 KB for 1,000
# articles and 5,000 read-back shares): the state is built once by the report test, then the
# release binary writes the report RUNS times (default 10); median wall time and the size.
#
#   bench/report.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
work=$PWD/target/bench/report
rm -rf "$work"
ENCORE_REPORT_STATE="$work" cargo test --locked --quiet --test it -- report::the_report >/dev/null
cargo build --release --quiet --locked
: >"$work/t.txt"
for _ in $(seq "$runs"); do
    t0=$EPOCHREALTIME
    target/release/encore --config "$work/config.toml" report --now 2026-11-01T12:00:00Z \
        --format html --output "$work/report.html"
    t1=$EPOCHREALTIME
    awk "BEGIN {printf \"%.4f\n\", $t1 - $t0}" >>"$work/t.txt"
done
echo "encore report --format html (1,000 articles, 5,000 shares): median $(sort -n "$work/t.txt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') s of $runs, $(stat -c %s "$work/report.html") bytes"
