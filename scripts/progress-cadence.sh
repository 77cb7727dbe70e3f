#!/usr/bin/env bash
# How often the progress bar of `bitext run` moves, as a person at a terminal sees it.
#
#   scripts/progress-cadence.sh INPUT_DIR [bitext run options...]
#
# Runs `bitext run INPUT_DIR -o $OUT ...` in a detached 120-column tmux pane, captures
# the screen every second until the run ends, and prints the run's time, how many
# distinct sentence counts the bar showed, how many moves came within 3 s of the
# previous one, and every wait over 5 s. BIN (default target/release/bitext) and OUT
# (default a temporary folder) can be set. Example, the check in docs/report.md:
#
#   mkdir news31; for i in $(seq 0 30); do sed -n "$((601 + 10 * i)),$((610 + 10 * i))p" \
#     ../shared/data/wmt21/newstest2021.en-zh.src.en > news31/article-$(printf %02d $((i + 1))).txt; done
#   scripts/progress-cadence.sh news31 --to zh --engine qwen --model qwen2.5-coder-0.5b --no-score
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,16p' "$0"; exit 2; }
command -v tmux >/dev/null || { echo "progress-cadence: tmux is not installed" >&2; exit 1; }
input=$(realpath "$1"); shift
bin=$(realpath "${BIN:-target/release/bitext}")
out=${OUT:-$(mktemp -d)/out}
capture=$(mktemp)
socket=bitext-cadence-$$
done_file=$out.done
rm -rf "$out" "$done_file"
trap 'tmux -L $socket kill-server 2>/dev/null || true' EXIT
args=$(printf ' %q' "$@")
tmux -L "$socket" -f /dev/null new-session -d -s run -x 120 -y 20 \
    "$bin run $(printf %q "$input") -o $(printf %q "$out")$args; touch $(printf %q "$done_file"); sleep 600"
start=$(date +%s)
while [[ ! -e $done_file ]]; do
    echo "=== $(( $(date +%s) - start ))" >> "$capture"
    tmux -L "$socket" capture-pane -p -t run >> "$capture"
    sleep 1
done
echo "run finished after about $(( $(date +%s) - start )) s; outputs in $out"
# "N/M sentences" on the bar line, per capture second.
awk '/^=== /{t=$2} / sentences \(/{for(i=1;i<=NF;i++) if($(i+1)=="sentences"){split($i,a,"/"); print t, a[1]}}' "$capture" |
    awk 'NR==1 || $2 != last {if (NR > 1) {gap=$1-t; n++; if (gap<=3) quick++; if (gap>5) waits=waits " " gap "s@" t; if (gap>max) max=gap}
                              t=$1; last=$2; values++}
         END {printf "distinct counts: %d; moves within 3 s: %d of %d; longest wait: %d s; waits over 5 s (length@start):%s\n",
                     values, quick, n, max, (waits == "" ? " none" : waits)}'
rm -f "$capture"
