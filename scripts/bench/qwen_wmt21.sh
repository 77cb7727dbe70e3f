#!/usr/bin/env bash
# Quality and speed of the qwen engine on the first N segments of each wmt21 direction:
# translates with bitext (tests/qwen_wmt21.rs; the dev profile builds dependencies at opt-level 3), scores with sacreBLEU.
#
# Usage: scripts/bench/qwen_wmt21.sh GGUF [N=200] [OUTDIR=/tmp/qwen-bench]
# Environment: SACREBLEU (default /work/venv/bin/sacrebleu), QWEN_BENCH_THREADS (default: all cores),
#   PAIRS (default "en-zh zh-en").
set -euo pipefail
gguf=$(realpath "$1")
n=${2:-200}
out=${3:-/tmp/qwen-bench}
sacrebleu=${SACREBLEU:-/work/venv/bin/sacrebleu}
data=$(cd "$(dirname "$0")/../.." && pwd)/../shared/data/wmt21
mkdir -p "$out"
for pair in ${PAIRS:-en-zh zh-en}; do
    to=${pair#*-}
    hyp=$out/$(basename "$gguf" .gguf).$pair.$n.$to
    BITEXT_QWEN_GGUF=$gguf QWEN_BENCH_PAIR=$pair QWEN_BENCH_N=$n QWEN_BENCH_OUT=$hyp \
        cargo test --test qwen_wmt21 -- --ignored --nocapture 2>"$hyp.log" | grep "^$pair"
    head -n "$n" "$data/newstest2021.$pair.ref.A.$to" > "$out/ref.$pair.$n.$to"
    tok=13a; [[ $to == zh ]] && tok=zh
    "$sacrebleu" "$out/ref.$pair.$n.$to" -i "$hyp" -m bleu chrf -tok "$tok" -w 2
done
