#!/usr/bin/env bash
# Encore against feed2toot on the same generated feed, side by side in one run: wall time and
# peak RSS (GNU time), RUNS runs each (default 5, alternating), medians, min–max and the ratio.
#
#   bench/compare.sh [RUNS]
#
# The feed: 5,000 WordPress-style items, ~10 MB (scripts/gen_feed.py, target/bench/). feed2toot
# 0.17 (PyPI) is installed into target/bench/venv on first use and run as
# `feed2toot --dry-run --all --limit 5000 -r FILE` with a config that prints every entry
# ("Would toot …"): it reads and parses the feed, formats each entry, posts nothing.
# Encore's side is `encore preview --days 1` on a fresh state each run: it parses the feed,
# archives every article in its SQLite state (committed to disk), then plans a day — more work than
# feed2toot's dry run (it writes the archive), so the comparison does not flatter Encore.
# Needs python3 (venv, pip) and GNU time (/usr/bin/time; Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=target/bench
feed=$work/feed-5000.xml
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
[ -f "$feed" ] || python3 scripts/gen_feed.py --anchor 2026-12-01 --items 5000 --span 3650 \
    --body-bytes 1150 --out "$feed"
if [ ! -x "$work/venv/bin/feed2toot" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet feed2toot==0.17
fi
cargo build --release --quiet

abs=$(realpath "$work")
cat >"$work/feed2toot.ini" <<INI
[mastodon]
instance_url=https://mastodon.example
user_credentials=$abs/f2t-user.txt
client_credentials=$abs/f2t-client.txt
toot_visibility=public

[cache]
cachefile=$abs/f2t-cache.db
cache_limit=10000

[lock]
lock_file=$abs/f2t.lock
lock_timeout=3600

[rss]
toot={title} {link}

[feedparser]
accept_bozo_exceptions=true
INI
echo unused >"$work/f2t-user.txt"
echo unused >"$work/f2t-client.txt"
cat >"$work/encore.toml" <<TOML
timezone = "UTC"
state_dir = "$abs/encore-state"

[feed]
url = "$abs/feed-5000.xml"
max_size = "64MiB"

[[account]]
name = "compare"
network = "log"
TOML

results=$work/compare.tsv
: >"$results"
for i in $(seq "$runs"); do
    rm -rf "$work/encore-state"
    /usr/bin/time -f "encore\t%e\t%M" -a -o "$results" target/release/encore \
        --config "$work/encore.toml" --log-level warn \
        preview --days 1 --now 2026-12-01T08:00:00Z --seed 1 >/dev/null
    rm -f "$work/f2t-cache.db" "$work/f2t.lock"
    /usr/bin/time -f "feed2toot\t%e\t%M" -a -o "$results" "$work/venv/bin/feed2toot" \
        -c "$work/feed2toot.ini" --dry-run --all --limit 5000 -r "$abs/feed-5000.xml" \
        >/dev/null 2>"$work/f2t.out"
done
lines=$(grep -c "Would toot" "$work/f2t.out" || true)
python3 - "$results" "$runs" "$lines" "$(stat -c %s "$feed")" <<'PY'
import statistics, sys
path, runs, lines, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rows = [l.rstrip("\n").split("\t") for l in open(path) if "\t" in l]
def figures(name):
    t = [float(r[1]) for r in rows if r[0] == name]
    m = [int(r[2]) / 1024 for r in rows if r[0] == name]
    return statistics.median(t), min(t), max(t), statistics.median(m), min(m), max(m)
print(f"feed: {size / 1e6:.1f} MB, 5,000 items; {runs} runs each; feed2toot printed {lines} entries")
print("| program | wall median (min–max) | peak RSS median (min–max) |")
print("|---|---|---|")
res = {}
for name in ("encore", "feed2toot"):
    t, t0, t1, m, m0, m1 = res[name] = figures(name)
    print(f"| {name} | {t:.2f} s ({t0:.2f}–{t1:.2f}) | {m:.1f} MiB ({m0:.1f}–{m1:.1f}) |")
e, f = res["encore"], res["feed2toot"]
print(f"ratio: Encore {f[0] / e[0]:.1f}x faster, {f[3] / e[3]:.1f}x less memory (medians)")
PY
