#!/usr/bin/env bash
# One hostile title, end to end (issue 18): `encore preview` over a one-item RSS feed whose item,
# 40 days old, has the given title; prints the peak RSS (GNU time's %M), the wall time and the
# preview's summary line, for each case below. Uses target/release/encore (built if missing).
#
#   bench/hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x target/release/encore ] || cargo build --release --locked >/dev/null
E=$PWD/target/release/encore

# case NAME DAYS PYTHON-EXPRESSION-FOR-THE-TITLE
case_() {
    local name=$1 days=$2 gen=$3 d
    d=$(mktemp -d)
    python3 - "$d" "$gen" <<'PY'
import sys, html
d, gen = sys.argv[1], sys.argv[2]
title = eval(gen)
open(d + "/feed.xml", "w").write(
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    '<link>https://blog.example.org/</link><item><title>' + html.escape(title) + '</title>'
    '<link>https://blog.example.org/p/1</link><pubDate>Wed, 21 Oct 2026 08:00:00 +0000</pubDate>'
    '<category>SEO</category></item></channel></rss>')
open(d + "/c.toml", "w").write(
    'timezone = "UTC"\nstate_dir = "state"\n[feed]\nurl = "feed.xml"\nmax_size = "16MiB"\n'
    '[select]\ncheck_link = false\n[cadence]\nmode = "fixed"\nper_day = 3\n'
    '[[account]]\nname = "x"\nnetwork = "log"\n')
PY
    /usr/bin/time -f "%M %e" -o "$d/time" "$E" --config "$d/c.toml" preview --days "$days" \
        --now 2026-12-01T08:00:00Z --seed 1 >"$d/out" 2>"$d/err" || true
    read -r rss secs <"$d/time"
    printf "%-30s peak %7d KiB  %5s s  %s\n" "$name" "$rss" "$secs" "$(sed -n 2p "$d/out")"
    rm -rf "$d"
}

case_ "short title (baseline)" 1 '"Un titre court"'
case_ "5 KB title" 1 '"mot " * 1250'
case_ "20 KB title" 1 '"mot " * 5000'
case_ "64 KiB title" 1 '"mot " * 16384'
case_ "2 MiB title" 1 '"mot " * 524288'
case_ "20,000-character CJK title" 1 '"字" * 20000'
case_ "8 MiB without spaces, 7 days" 7 '"x" * (8 << 20)'
