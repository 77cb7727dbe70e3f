#!/usr/bin/env bash
# Cold-cache cost of `bitext align --embed` on mac-dev chapters, side by side: texts
# embedded, seconds (total and per chapter) and strict F1 (`bitext eval align`) for each
# run. Every run starts from an empty embedding cache, one after the other.
#
# usage: scripts/bench/align_embed.sh [CHAPTERS] [BASELINE]
#   CHAPTERS  how many mac-dev chapters, from the first (default 3)
#   BASELINE  an older bitext binary to run with its own defaults as well
# Runs target/release/bitext with e5-small at --embed-span 1 (the default) and 3, and
# with USE multilingual v3 (--embed-model use-m3), all signals on (the .trans MT beside
# the Chinese chapters, length, anchors). Needs both models cached (scripts/fetch-models.sh
# e5-small use-m3).
set -euo pipefail
cd "$(dirname "$0")/../.."
chapters=${1:-3}
baseline=${2:-}
B=target/release/bitext
D=../shared/data/mac-dev
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/zh" "$T/en" "$T/gold"
for f in $(ls $D/zh | grep -E '^[0-9]+$' | head -n "$chapters"); do
    cp "$D/zh/$f" "$D/zh/$f.trans" "$T/zh/"
    cp "$D/en/$f" "$T/en/"
    cp "$D/gold/$f.align" "$T/gold/"
done

run() {
    local label=$1 bin=$2; shift 2
    local cache=$T/cache-$label out=$T/out-$label
    local start end texts f1
    start=$(date +%s.%N)
    "$bin" align --src-dir "$T/zh" --tgt-dir "$T/en" --lines --embed -f ladder \
        -o "$out" --embed-cache "$cache" "$@" 2> "$T/$label.log"
    end=$(date +%s.%N)
    texts=$(grep -o '[0-9]* embedded' "$T/$label.log" | tail -1)
    f1=$("$B" eval align --gold "$T/gold" --test "$out" 2>&1 | awk -F'|' '/F1/ {print $3}' | tr -d ' ')
    printf '| %s | %s | %.1f | %.1f | %s |\n' "$label" "$texts" "$(echo "$end - $start" | bc)" \
        "$(echo "($end - $start) / $chapters" | bc -l)" "$f1"
}

echo "mac-dev, first $chapters chapters, cold embedding cache"
echo "| run | texts | s | s per chapter | strict F1 |"
echo "|---|---|---|---|---|"
[ -n "$baseline" ] && run baseline "$baseline"
run span1 "$B" --embed-span 1
run span3 "$B" --embed-span 3
run use-m3 "$B" --embed-model use-m3
