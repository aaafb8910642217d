#!/usr/bin/env bash
# What each account costs `encore preview` over a large archive, whole processes as an admin
# runs them: a 200,000-article state (scripts/gen_feed.py, 20 years, every article of age),
# then `preview --days 7` with 1, 3 and 10 accounts (log network, 3 posts a day each) on it,
# the feed switched to a 10-item one so that the runs measure the plan, not the first read.
# GNU time gives wall time and peak RSS; medians of RUNS runs (default 3).
#
#   bench/accounts.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=target/bench
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
[ -f "$work/feed-200k.xml" ] || python3 scripts/gen_feed.py --anchor 2026-12-01 --items 200000 \
    --span 7300 --no-content --out "$work/feed-200k.xml"
[ -f "$work/feed-10.xml" ] || python3 scripts/gen_feed.py --anchor 2026-12-01 --items 10 \
    --span 20 --site https://blog.example.org --seed 7 --out "$work/feed-10.xml"
cargo build --release --quiet --locked
E=$PWD/target/release/encore
abs=$(realpath "$work")
state="$abs/accounts-state"

config() { # config FILE FEED ACCOUNTS
    {
        cat <<TOML
timezone = "UTC"
state_dir = "$state"
[feed]
url = "$2"
max_size = "256MiB"
backfill_pages = 0
[select]
min_age_days = 30
max_age_days = 7300
check_link = false
[cadence]
mode = "fixed"
per_day = 3
TOML
        for i in $(seq 1 "$3"); do
            printf '[[account]]\nname = "acc%s"\nnetwork = "log"\n' "$i"
        done
    } >"$1"
}

if [ ! -f "$state/encore.db" ]; then
    config "$work/accounts-build.toml" "$abs/feed-200k.xml" 1
    echo "building the 200,000-article state (once)…"
    "$E" --config "$work/accounts-build.toml" preview --days 1 --now 2026-12-01T08:00:00Z >/dev/null 2>&1
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "accounts  wall (median s)  peak RSS (median MiB)"
for n in 1 3 10; do
    config "$work/accounts-$n.toml" "$abs/feed-10.xml" "$n"
    walls=() rss=()
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -o "$work/time.txt" -f '%e %M' "$E" --config "$work/accounts-$n.toml" \
            preview --days 7 --now 2026-12-01T08:00:00Z --seed 1 >/dev/null 2>&1
        out=$(tail -1 "$work/time.txt")
        walls+=("${out% *}") rss+=("${out#* }")
    done
    w=$(printf '%s\n' "${walls[@]}" | median)
    m=$(printf '%s\n' "${rss[@]}" | median)
    printf '%8s  %15s  %21s\n' "$n" "$w" "$(awk -v k="$m" 'BEGIN {printf "%.1f", k / 1024}')"
done
