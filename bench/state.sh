#!/usr/bin/env bash
# The state's figures (issue 19), whole processes as an admin runs them. GNU time gives wall time
# and peak RSS; medians of RUNS runs (default 5) where a run is cheap.
#
#   bench/state.sh [RUNS]
#
# 1. The 5,000-item feed (~10 MB, scripts/gen_feed.py) into an empty state, `encore preview
#    --days 1`, against the floor in the same run: `examples/xml_floor.rs`, a process that reads
#    the file and walks every XML event with quick-xml. Ratio of the medians.
# 2. The 100,000-item feed (~60 MB, generated once into target/bench/) into an empty state with
#    the age window open to 20 years (every article eligible): `preview --days 30`, peak RSS and
#    the state's size on disk (du of the state directory).
# 3. On that state, the feed switched to an ordinary 10-item feed: a 30-day preview; `encore
#    run` on a fast test clock posting to the log for 20 s (peak RSS), RSS when idle after it;
#    `encore status` while that daemon runs; then the same with the default age window
#    (30-90 days), where a slot loads only the articles of age.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=target/bench
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
[ -f "$work/feed-5000.xml" ] || python3 scripts/gen_feed.py --anchor 2026-12-01 --items 5000 \
    --span 3650 --body-bytes 1150 --out "$work/feed-5000.xml"
[ -f "$work/feed-100k.xml" ] || python3 scripts/gen_feed.py --anchor 2026-12-01 --items 100000 \
    --span 7300 --no-content --out "$work/feed-100k.xml"
[ -f "$work/feed-10.xml" ] || python3 scripts/gen_feed.py --anchor 2026-12-01 --items 10 \
    --span 20 --site https://blog.example.org --seed 7 --out "$work/feed-10.xml"
cargo build --release --quiet --locked
cargo build --release --quiet --locked --example xml_floor
E=$PWD/target/release/encore
FLOOR=$PWD/target/release/examples/xml_floor
abs=$(realpath "$work")

config() { # config FILE STATE FEED [MAX_AGE_DAYS]
    cat >"$1" <<TOML
timezone = "UTC"
state_dir = "$2"
[feed]
url = "$3"
max_size = "128MiB"
backfill_pages = 0
[select]
min_age_days = 30
max_age_days = ${4:-7300}
check_link = false
[cadence]
mode = "fixed"
per_day = 24
active_hours = "00:00-24:00"
min_spacing = "30m"
[[account]]
name = "log"
network = "log"
TOML
}

measure() { # measure command... : prints "seconds kib" (wall time to the millisecond)
    local t0 t1
    t0=$EPOCHREALTIME
    /usr/bin/time -f "%M" -o "$work/time.out" "$@" >/dev/null 2>"$work/err.out" || {
        cat "$work/err.out" >&2
        exit 1
    }
    t1=$EPOCHREALTIME
    echo "$(awk "BEGIN {printf \"%.3f\", $t1 - $t0}") $(cat "$work/time.out")"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== 1. 5,000-item feed ($(du -h "$work/feed-5000.xml" | cut -f1)), empty state, $runs runs"
: >"$work/e.txt"; : >"$work/f.txt"; : >"$work/r.txt"
for _ in $(seq "$runs"); do
    rm -rf "$work/s5k"
    config "$work/s5k.toml" "$abs/s5k" "$abs/feed-5000.xml"
    read -r s kib < <(measure "$E" --config "$work/s5k.toml" preview --days 1 --now 2026-12-01T08:00:00Z --seed 1)
    echo "$s" >>"$work/e.txt"; echo "$kib" >>"$work/r.txt"
    read -r s _ < <(measure "$FLOOR" "$work/feed-5000.xml")
    echo "$s" >>"$work/f.txt"
done
e=$(median <"$work/e.txt"); f=$(median <"$work/f.txt"); r=$(median <"$work/r.txt")
echo "encore preview: ${e} s, peak $((r / 1024)) MiB; floor: ${f} s; ratio $(awk "BEGIN {printf \"%.2f\", $e / $f}")"

echo "== 2. 100,000-item feed ($(du -h "$work/feed-100k.xml" | cut -f1)), empty state"
rm -rf "$work/s100k"
config "$work/s100k.toml" "$abs/s100k" "$abs/feed-100k.xml"
read -r s kib < <(measure "$E" --config "$work/s100k.toml" preview --days 30 --now 2026-12-01T08:00:00Z --seed 1)
echo "preview --days 30 from empty: ${s} s, peak $((kib / 1024)) MiB; state on disk: $(du -sh "$work/s100k" | cut -f1) ($(du -sb "$work/s100k" | cut -f1) bytes)"

echo "== 3. the 100,000-article state, an ordinary 10-item feed"
config "$work/s10.toml" "$abs/s100k" "$abs/feed-10.xml"
: >"$work/p.txt"
for _ in $(seq "$runs"); do
    read -r s kib < <(measure "$E" --config "$work/s10.toml" preview --days 30 --now 2026-12-01T08:00:00Z --seed 1)
    echo "$s $kib" >>"$work/p.txt"
done
echo "preview --days 30: $(cut -d' ' -f1 "$work/p.txt" | median) s (median), peak $(($(cut -d' ' -f2 "$work/p.txt" | median | cut -d. -f1) / 1024)) MiB"
run_daemon() { # run_daemon CONFIG LABEL START: 20 s on a fast clock from START (a day of its
    # own: slots settled by an earlier run are not posted again); peak RSS, RSS at 12 s, status
    local clock tpid dpid idle kib posts
    clock="$3T00:00:00Z,$(date -u +%Y-%m-%dT%H:%M:%SZ),7200"
    /usr/bin/time -f "%M" -o "$work/run.time" "$E" --config "$1" run --test-clock "$clock" \
        >/dev/null 2>"$work/run.log" &
    tpid=$!
    sleep 12
    dpid=$(pgrep -P "$tpid" encore || true)
    idle=$(awk '/VmRSS/ {print $2}' "/proc/$dpid/status" 2>/dev/null || echo 0)
    : >"$work/st.txt"
    for _ in $(seq "$runs"); do
        read -r s _ < <(measure "$E" --config "$1" status)
        echo "$s" >>"$work/st.txt"
    done
    sleep 8
    kill -TERM "$dpid" 2>/dev/null || true
    wait "$tpid" || true
    kib=$(cat "$work/run.time")
    posts=$(grep -c "log post:" "$work/run.log" || true)
    echo "encore run, $2 (fast clock, 20 s, $posts posts): peak $((kib / 1024)) MiB, RSS after 12 s $((idle / 1024)) MiB"
    echo "encore status beside it: $(median <"$work/st.txt") s (median of $runs)"
}
run_daemon "$work/s10.toml" "age window 30-7300 days (all 100,000 of age)" 2026-12-01
# Idle: the same state and config in real time (the day's slots hours away, 3 a day).
sed 's/per_day = 24/per_day = 3/; s/00:00-24:00/09:00-20:00/' "$work/s10.toml" >"$work/s10i.toml"
"$E" --config "$work/s10i.toml" run >/dev/null 2>"$work/idle.log" &
ipid=$!
sleep 10
echo "encore run in real time, idle after 10 s: RSS $(($(awk '/VmRSS/ {print $2}' "/proc/$ipid/status") / 1024)) MiB"
kill -TERM "$ipid"; wait "$ipid" || true
config "$work/s10w.toml" "$abs/s100k" "$abs/feed-10.xml" 90
run_daemon "$work/s10w.toml" "age window 30-90 days (the default)" 2026-12-05
