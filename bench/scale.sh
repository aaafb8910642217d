#!/usr/bin/env bash
# Several blogs at scale (issue 21), as an admin runs it: 200 WordPress-style feeds of 500 items
# (scripts/gen_feed.py, full content, dated up to today) served by a local HTTP server over 50
# loopback host names, and 200 accounts (the log network), each sharing one feed, 6 posts a
# day, in one `encore run` in real time with the metrics endpoint on.
#
#   bench/scale.sh [MINUTES]     (default 5: the run after the first read)
#
# Prints: the first full read (start to "started": every feed read, 4 at a time, one at a time
# per host), RSS after it, the peak RSS after it and the whole run's (VmHWM), the idle RSS at
# the end, the loop's wake-ups per minute and in the minutes without a slot, the delay of each
# post after its slot for the slots due while it ran (from `encore history`), and the cost of a
# scrape (curl, 20 times).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-5}
feeds=200
work=target/bench/scale
mkdir -p "$work/feeds"
today=$(date -u +%F)
if [ ! -f "$work/feeds/.anchor" ] || [ "$(cat "$work/feeds/.anchor")" != "$today" ]; then
    echo "== generating $feeds feeds of 500 items (anchor $today)"
    for i in $(seq 0 $((feeds - 1))); do
        python3 scripts/gen_feed.py --anchor "$today" --items 500 --span 1500 --body-bytes 1150 \
            --site "https://blog-$i.example.org" --seed "$i" --out "$work/feeds/feed-$i.xml"
    done
    echo "$today" >"$work/feeds/.anchor"
fi
du -sh "$work/feeds" | awk '{print "feeds on disk: " $1}'
cargo build --release --quiet --locked

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
state=$(mktemp -d)
trap 'kill $server ${pid:-} 2>/dev/null || true; rm -rf "$state"' EXIT
python3 -m http.server --bind 0.0.0.0 "$port" --directory "$work/feeds" >/dev/null 2>&1 &
server=$!
sleep 1

{
    echo "timezone = \"UTC\""
    echo "state_dir = \"$state/state\""
    echo "feed_concurrency = 4"
    echo "[metrics]"
    echo "listen = \"127.0.0.1:$mport\""
    echo "[select]"
    echo "check_link = false"
    echo "[cadence]"
    echo "mode = \"fixed\""
    echo "per_day = 6"
    echo "active_hours = \"00:00-24:00\""
    echo "min_spacing = \"1h\""
    for i in $(seq 0 $((feeds - 1))); do
        echo "[[feed]]"
        echo "name = \"blog-$i\""
        echo "url = \"http://127.0.0.$((1 + i % 50)):$port/feed-$i.xml\""
        echo "backfill_pages = 0"
    done
    for i in $(seq 0 $((feeds - 1))); do
        echo "[[account]]"
        echo "name = \"acct-$i\""
        echo "network = \"log\""
        echo "feeds = [\"blog-$i\"]"
    done
} >"$state/config.toml"

started=$(date +%s.%N)
target/release/encore --config "$state/config.toml" --log-level "info,encore::daemon::run=trace" run \
    2>"$state/log" &
pid=$!
until grep -q '"started"\|started accounts' "$state/log" 2>/dev/null; do
    sleep 0.1
    kill -0 "$pid" 2>/dev/null || { tail -20 "$state/log"; exit 1; }
done
ready=$(date +%s.%N)
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "first full read: $(python3 -c "print(round($ready - $started, 2))") s ($(grep -c 'feed read' "$state/log") feeds read)"
echo "RSS after it: $(rss_kib) KiB"
peak=0
end=$(( $(date +%s) + minutes * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do
    r=$(rss_kib); [ "$r" -gt "$peak" ] && peak=$r
    sleep 1
done
echo "peak RSS after the first read ($minutes min): $peak KiB; whole run (VmHWM): $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status") KiB"
echo "idle RSS at the end: $(rss_kib) KiB"

# The cost of a scrape, measured by the client (connect, request, the whole answer).
scrapes=$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$mport/metrics"; done | sort -n)
echo "scrape: median $(echo "$scrapes" | sed -n 10p) s, max $(echo "$scrapes" | tail -1) s, $(curl -s "http://127.0.0.1:$mport/metrics" | wc -c) bytes"

kill -TERM "$pid"; wait "$pid" || true
unset pid
target/release/encore --config "$state/config.toml" history --format json >"$state/history.json"
python3 - "$state/log" "$state/history.json" "$ready" <<'EOF'
import json, sys, datetime as dt, statistics
log, hist, ready = sys.argv[1], sys.argv[2], float(sys.argv[3])
def t(s): return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
wakes = [t(l.split()[0]) for l in open(log) if "loop wake-up" in l]
wakes = [w for w in wakes if w >= ready]
recs = [json.loads(l) for l in open(hist) if l.strip()]
# Slots due while the daemon ran (those before its start are caught up at the first tick,
# within the grace period, and are not "on time" by nature).
shared = [r for r in recs if r.get("outcome") == "shared" and t(r["slot"]) >= ready]
delays = sorted(t(r["at"]) - t(r["slot"]) for r in shared)
slot_minutes = {int(t(r["slot"]) // 60) for r in recs}
if wakes:
    first, last = int(wakes[0] // 60) + 1, int(wakes[-1] // 60)
    minutes = range(first, last)
    per = [sum(1 for w in wakes if int(w // 60) == m) for m in minutes]
    quiet = [p for m, p in zip(minutes, per) if m not in slot_minutes]
    print(f"loop wake-ups: {statistics.mean(per):.2f} a minute over {len(per)} minutes; "
          f"in the {len(quiet)} minutes without a slot: max {max(quiet) if quiet else '-'}")
if delays:
    print(f"posts of slots due after the start: {len(shared)}; delay after the slot: median {statistics.median(delays):.3f} s, "
          f"max {max(delays):.3f} s")
EOF
