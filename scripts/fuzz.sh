#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/fuzz_targets: feed, config, compose) for SECONDS each
# (default 180). Not part of CI. Needs cargo-fuzz (cargo install cargo-fuzz --locked); on a
# stable toolchain RUSTC_BOOTSTRAP=1 lets cargo-fuzz use its sanitizer flags.
# Seeds: the test fixtures (feeds) and config.example.toml. Results go to TESTING.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/corpus/feed fuzz/corpus/config fuzz/corpus/compose
cp tests/fixtures/*.xml tests/fixtures/*.json fuzz/corpus/feed/ 2>/dev/null || true
cp config.example.toml examples/demo.toml fuzz/corpus/config/
for target in feed config compose; do
    echo "== $target: ${seconds}s"
    # A crash leaves its input in fuzz/artifacts/$target and ends this target's run, not the script.
    cargo fuzz run "$target" "fuzz/corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>&1 |
        grep -E "^#[0-9]+.*(DONE|pulse)|Done [0-9]+ runs|ERROR|panicked|SUMMARY" | tail -3 || true
done
