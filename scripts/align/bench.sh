#!/usr/bin/env bash
# Speed of `bitext align` (release build): mac-dev per configuration, and a
# 10,000 x 12,000-sentence document built from WMT21 (zh-en source, Online-B MT and
# reference cycled to 10,000 lines, 2,000 unrelated English sentences inserted).
# usage: scripts/align/bench.sh [BITEXT]   (default target/release/bitext)
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-target/release/bitext}
D=../shared/data/mac-dev
W=../shared/data/wmt21
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

t() { local s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc; }

echo "mac-dev, 1,463 zh x 1,951 en sentences, 6 documents"
echo "  length + MT : $(t $B -q align --src-dir $D/zh --tgt-dir $D/en --lines -f ladder -o $T/mt) s"
mkdir -p "$T/len"
s=$(date +%s.%N)
for f in $D/zh/[0-9][0-9][0-9]; do
  $B -q align "$f" "$D/en/$(basename "$f")" --lines -f ladder -o "$T/len/$(basename "$f").align"
done
echo "  length only : $(echo "$(date +%s.%N) - $s" | bc) s"

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
echo "10,000 zh x 12,000 en sentences, one document"
echo "  length + MT : $(t $B -q align $T/src $T/tgt --lines --src-trans $T/src.trans -f ladder) s"
echo "  length only : $(t $B -q align $T/src $T/tgt --lines -f ladder) s"
