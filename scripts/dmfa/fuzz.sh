#!/usr/bin/env bash
# Bounded fuzzing of the DmfA reader, for CI: scripts/dmfa/fuzz.sh [SECONDS] (default 60).
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). No nightly toolchain is installed here;
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept the sanitizer flags cargo-fuzz passes.
# The seed corpus is the sample declarations; a crash leaves its input in fuzz/artifacts/parse/.
set -euo pipefail
SECS=${1:-60}
cd "$(dirname "$0")/../../crates/art60-dmfa/fuzz"
mkdir -p corpus/parse
cp ../../../../shared/data/dmfa/DmfAOriginal_*.xml corpus/parse/ 2>/dev/null || true
RUSTC_BOOTSTRAP=1 cargo fuzz run parse -- -max_total_time="$SECS" -rss_limit_mb=1024
