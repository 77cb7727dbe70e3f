#!/usr/bin/env bash
# Marian speed: bitext vs CTranslate2 (float32, int8) vs HF transformers on a full-size
# random opus-mt-en-zh-shaped model; prints a markdown table (run by hand, not in CI).
# Needs the Python venv with torch, transformers, sentencepiece and ctranslate2.
#
# Usage: scripts/bench/marian.sh [marian_bench.py "all" options, e.g. --engines bitext,bitext:int8,bitext:q8_0,ct2-fp32,ct2-int8,hf
#        --new-tokens 32,64 --sentences 256 --batch1-sentences 64 --threads 2]
# Model, conversions and inputs are cached in $BITEXT_BENCH_DIR (default /tmp/bitext-bench-marian);
# WMT21 is read from $BITEXT_SHARED/data/wmt21 (default ../shared, beside the repo).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${BITEXT_BENCH_DIR:-/tmp/bitext-bench-marian}
python=${PYTHON:-/work/venv/bin/python}
export PATH="$(dirname "$python"):$PATH"
(cd "$repo" && cargo build --release --quiet)
"$python" "$repo/scripts/bench/marian_bench.py" prepare --work "$work"
BENCH_COMMAND="scripts/bench/marian.sh $*" \
    "$python" "$repo/scripts/bench/marian_bench.py" all --work "$work" --bitext "$repo/target/release/bitext" "$@"
