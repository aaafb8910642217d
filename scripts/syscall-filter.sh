#!/usr/bin/env bash
# Does the unit's SystemCallFilter= let Encore run? Traces `encore run` (feed over HTTP, a post
# in a dry run, a SIGHUP reload, SIGTERM) with strace and checks every system call it made
# against @system-service minus @privileged and @resources, as systemd expands them.
# Needs strace and systemd-analyze (apt-get install strace systemd). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
bin=$PWD/target/debug/encore
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cp tests/fixtures/span.xml "$work/"
port=$((20000 + RANDOM % 20000))
(cd "$work" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
sleep 1
cat > "$work/config.toml" <<TOML
timezone = "Europe/Paris"
state_dir = "state"
[feed]
url = "http://localhost:$port/span.xml"
[select]
check_link = false
[cadence]
mode = "fixed"
per_day = 2
[[account]]
name = "blog-log"
network = "log"
TOML
slot=$("$bin" -c "$work/config.toml" preview --format json --days 2 --now 2026-06-01T08:00:00+02:00 2>/dev/null | head -1 |
  python3 -c "import json,sys,datetime; d=datetime.datetime.fromisoformat(json.load(sys.stdin)['at']); print((d-datetime.timedelta(seconds=4)).isoformat())")
strace -f -qq -o "$work/trace" "$bin" -c "$work/config.toml" run --dry-run --now "$slot" 2>"$work/log" &
sleep 3; pkill -HUP -f "$bin -c $work/config.toml run"
sleep 4; pkill -TERM -f "$bin -c $work/config.toml run"
wait %2 2>/dev/null || true
grep -q "would post" "$work/log" || { echo "the traced run did not post:"; cat "$work/log"; exit 1; }
systemd-analyze syscall-filter >"$work/groups" 2>/dev/null
python3 - "$work/trace" "$work/groups" <<'PY'
import re, sys
used = {m.group(1) for l in open(sys.argv[1]) if (m := re.match(r"\d+\s+([a-z_0-9]+)\(", l))}
groups, cur = {}, None
for line in open(sys.argv[2]):
    if line.startswith("@"):
        cur = line.split()[0]; groups[cur] = []
    elif cur and line.strip() and not line.strip().startswith("#"):
        groups[cur].append(line.strip())
def expand(g):
    out = set()
    for x in groups.get(g, []):
        out |= expand(x) if x.startswith("@") else {x}
    return out
allowed = expand("@system-service") - expand("@privileged") - expand("@resources")
bad = sorted(used - allowed)
print(f"{len(used)} system calls used; outside the unit's filter: {bad or 'none'}")
sys.exit(1 if bad else 0)
PY
