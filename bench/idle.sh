#!/usr/bin/env bash
# Idle cost of the daemon: `encore run --dry-run` on the demo config (a local sample feed, no
# network; the next slot is hours away), observed for SECONDS (default 60) after a 5 s start.
# Prints RSS after start and at the end, CPU time used, and wake-ups: the context switches of
# all its threads (each time a sleeping thread is woken it switches out again; read from
# /proc/PID/task/*/status), per minute, and the daemon loop's own wake-ups (its trace line
# "loop wake-up").
#
#   bench/idle.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cargo build --release --quiet
state=$(mktemp -d)
trap 'rm -rf "$state"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
sed "s|^state_dir = .*|state_dir = \"$state\"|" examples/demo.toml >"$state/demo.toml"
cp examples/demo-feed.xml "$state/"
DEMO_MASTODON_TOKEN=not-used-by-a-dry-run target/release/encore --config "$state/demo.toml" --log-level warn,encore::daemon::run=trace run --dry-run 2>"$state/log" &
pid=$!
sleep 5

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
switches() {
    cat /proc/"$pid"/task/*/status |
        awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {n += $2} END {print n}'
}
threads() { ls /proc/"$pid"/task | wc -l; }
# utime + stime, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

loops() { grep -c "loop wake-up" "$state/log" || true; }
rss0=$(rss); sw0=$(switches); cpu0=$(cpu); loop0=$(loops)
sleep "$seconds"
rss1=$(rss); sw1=$(switches); cpu1=$(cpu); loop1=$(loops)
hz=$(getconf CLK_TCK)
echo "idle over ${seconds}s ($(threads) threads):"
echo "  RSS after start: $((rss0 / 1024)) MiB ($rss0 KiB); after ${seconds}s: $((rss1 / 1024)) MiB ($rss1 KiB)"
echo "  CPU time used in ${seconds}s: $(awk -v t=$((cpu1 - cpu0)) -v hz="$hz" 'BEGIN {printf "%.2f s", t / hz}')"
echo "  wake-ups (context switches, all threads): $((sw1 - sw0)) in ${seconds}s," \
    "$(awk -v n=$((sw1 - sw0)) -v s="$seconds" 'BEGIN {printf "%.1f", n * 60 / s}') a minute"
echo "  daemon loop wake-ups: $((loop1 - loop0)) in ${seconds}s"
if grep -qv "loop wake-up" "$state/log"; then
    echo "  log:"; grep -v "loop wake-up" "$state/log" | sed 's/^/    /'
fi
