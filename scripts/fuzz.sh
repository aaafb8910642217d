#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/fuzz_targets: feed, reader, config, compose) for SECONDS each
# (default 180). Not part of CI. Needs cargo-fuzz (cargo install cargo-fuzz --locked); on a
# stable toolchain RUSTC_BOOTSTRAP=1 lets cargo-fuzz use its sanitizer flags.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]              one target after the other
#   FUZZ_PARALLEL=1 scripts/fuzz.sh [SECONDS] [TARGET...] all at once, at nice 19, so a long run
#                                                      can share a machine with a build
#
# Seeds: the test fixtures (feeds) and config.example.toml; `reader` (the fast feed reader
# against feed-rs) also starts from the feed target's corpus. The corpus grows in fuzz/corpus.
# Each target's whole libFuzzer log is kept in fuzz/logs/TARGET.log; its last lines (runs,
# time, any crash) are printed at the end. Results go to TESTING.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(feed reader config compose)
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/corpus/feed fuzz/corpus/reader fuzz/corpus/config fuzz/corpus/compose fuzz/logs
cp tests/fixtures/*.xml tests/fixtures/*.json fuzz/corpus/feed/ 2>/dev/null || true
cp tests/fixtures/*.xml fuzz/corpus/reader/
cp tests/fixtures/real/* fuzz/corpus/reader/
cp tests/fixtures/real/* fuzz/corpus/feed/
cp -n fuzz/corpus/feed/* fuzz/corpus/reader/ 2>/dev/null || true
cp config.example.toml examples/demo.toml fuzz/corpus/config/

# Build every target first (one cargo at a time), so the clock starts with the fuzzing.
for target in "${targets[@]}"; do
    nice -n 19 cargo fuzz build "$target"
done

run() {
    local target=$1
    # A crash leaves its input in fuzz/artifacts/$target and ends this target's run only.
    nice -n 19 cargo fuzz run "$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        >"fuzz/logs/$target.log" 2>&1 || true
    echo "== $target: ${seconds}s"
    grep -E "Done [0-9]+ runs|ERROR|panicked|SUMMARY|stat::number_of_executed_units" \
        "fuzz/logs/$target.log" | tail -4 || true
    ls "fuzz/artifacts/$target" 2>/dev/null | sed 's/^/   artifact: /' || true
}

if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
    for target in "${targets[@]}"; do run "$target" & done
    wait
else
    for target in "${targets[@]}"; do run "$target"; done
fi
