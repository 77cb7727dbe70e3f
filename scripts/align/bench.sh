#!/usr/bin/env bash
# Quality and speed of `bitext align` on mac-dev for each configuration, as a markdown
# table (strict and lax P/R/F1 from `bitext eval align`, seconds per 1,000 gold beads),
# then the 10,000 x 12,000-sentence case built from WMT21 (zh-en source, Online-B MT
# and reference cycled to 10,000 lines, 2,000 unrelated English sentences inserted).
#
# usage: scripts/align/bench.sh [BITEXT]   (default target/release/bitext)
# Embedding configurations run only when e5-small is cached (scripts/fetch-models.sh).
# They read vectors from the embedding cache (EMBED_CACHE, default the bitext cache's
# embeddings/): the first run embeds and is slow, later runs time the alignment alone.
# EMBED_CACHE=$(mktemp -d) times a cold run.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-target/release/bitext}
D=../shared/data/mac-dev
W=../shared/data/wmt21
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CACHE=()
[ -n "${EMBED_CACHE:-}" ] && CACHE=(--embed-cache "$EMBED_CACHE")
if [ -n "${BITEXT_HOME:-}" ]; then C=$BITEXT_HOME; else C=${XDG_CACHE_HOME:-$HOME/.cache}/bitext; fi
E5=$C/e5-small/e5-small-q4.bin
BEADS=$(cat $D/gold/*.align | wc -l)

# Aligns mac-dev into $T/$1: with MT (--src-dir picks up the .trans files) or one
# pair at a time without it; extra flags follow.
align_dev() {
  local out=$T/$1 mt=$2; shift 2
  mkdir -p "$out"
  if [ "$mt" = mt ]; then
    $B -q align --src-dir $D/zh --tgt-dir $D/en --lines -f ladder -o "$out" "$@"
  else
    for f in $D/zh/[0-9][0-9][0-9]; do
      $B -q align "$f" "$D/en/$(basename "$f")" --lines -f ladder -o "$out/$(basename "$f").align" "$@"
    done
  fi
}

row() {
  local name=$1; shift
  local s e
  s=$(date +%s.%N)
  align_dev "$@"
  e=$(date +%s.%N)
  $B eval align --gold $D/gold --test "$T/$1" --json | python3 -c '
import json, sys
name, seconds, beads = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = json.load(sys.stdin)
prf = lambda k: "%.3f / %.3f / %.3f" % (s["precision_" + k], s["recall_" + k], s["f1_" + k])
strict, lax = prf("strict"), prf("lax")
print(f"| {name} | {strict} | {lax} | {seconds / beads * 1000:.2f} |")
' "$name" "$(echo "$e - $s" | bc)" "$BEADS"
}

echo "mac-dev: 1,463 zh x 1,951 en sentences, 6 chapters, $BEADS gold beads ($B)"
echo
echo "| configuration | strict P / R / F1 | lax P / R / F1 | s per 1,000 beads |"
echo "|---|---|---|---|"
row "length only" len nomt
row "length + MT" mt mt
if [ -f "$E5" ]; then
  row "length + embeddings" emb nomt --embed "${CACHE[@]}"
  row "all combined" all mt --embed "${CACHE[@]}"
  # Blocks of four embedded too (the cache must hold them: the first such run embeds
  # about 3,300 more texts, 1.7x the characters of blocks up to three).
  row "length + embeddings, span 4" emb4 nomt --embed "${CACHE[@]}" --embed-span 4
  row "all combined, span 4" all4 mt --embed "${CACHE[@]}" --embed-span 4
  # Bertalign's own scoring: margin cosine times its length penalty, skip 0.1, no other term.
  row "embeddings alone, Bertalign scoring, span 4" bert nomt --embed "${CACHE[@]}" --embed-span 4 \
    --embed-length-penalty 1 --embedding-weight 1 --length-weight 0 --anchor-weight 0 \
    --skip-cost 0.1 --merge-cost 0 --crossing-cost 0 --fragment-cost 0
else
  echo "SKIPPED: embedding rows ($E5 is not present; run scripts/fetch-models.sh)"
fi

python3 - "$W" "$T" <<'PY'
import sys, random
w, t = sys.argv[1], sys.argv[2]
zh = open(f"{w}/newstest2021.zh-en.src.zh").read().splitlines()
mt = open(f"{w}/newstest2021.zh-en.hyp.Online-B.en").read().splitlines()
en = open(f"{w}/newstest2021.zh-en.ref.A.en").read().splitlines()
other = open(f"{w}/newstest2021.en-zh.src.en").read().splitlines()
rng = random.Random(10000)
src, trans, tgt = [], [], []
for i in range(10000):
    src.append(zh[i % len(zh)]); trans.append(mt[i % len(mt)]); tgt.append(en[i % len(en)])
for k in sorted(rng.sample(range(10000), 2000), reverse=True):
    tgt.insert(k, other[k % len(other)])
for name, lines in (("src", src), ("src.trans", trans), ("tgt", tgt)):
    open(f"{t}/{name}", "w").write("\n".join(lines) + "\n")
PY
t() { local s; s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc; }
echo
echo "10,000 zh x 12,000 en sentences, one document"
echo "  length + MT : $(t $B -q align $T/src $T/tgt --lines --src-trans $T/src.trans -f ladder) s"
echo "  length only : $(t $B -q align $T/src $T/tgt --lines -f ladder) s"
