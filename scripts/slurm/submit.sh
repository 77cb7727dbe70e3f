#!/usr/bin/env bash
# Submits a sharded `bitext run` to Slurm: an array of N shard tasks, then a merge
# job that runs once every task has ended (afterany) and checks that all N shards
# finished. Prints the two job ids.
#
# Usage: scripts/slurm/submit.sh INPUT OUT N [TASKS] [-- bitext run flags...]
#   TASKS  which shards to (re)run, in sbatch --array syntax (default 0-(N-1)).
#          After a failure, `submit.sh INPUT OUT N 2` reruns shard 2 (it resumes
#          from its cache) and submits a new merge after it.
# Environment: BITEXT (the binary), SBATCH_ARGS (extra sbatch options for the
# shard tasks, e.g. "--cpus-per-task=8 --time=4:00:00").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 3 ]] || { sed -n '2,12p' "$0" >&2; exit 2; }
input=$(realpath "$1") out=$(realpath -m "$2") n=$3
shift 3
tasks=0-$((n - 1))
if [[ $# -gt 0 && $1 != -- ]]; then tasks=$1; shift; fi
[[ ${1:-} == -- ]] && shift
mkdir -p "$out/logs"
# shellcheck disable=SC2086 # SBATCH_ARGS is a list of options
array=$(sbatch --parsable --array="$tasks" ${SBATCH_ARGS:-} \
    --output="$out/logs/shard-%a-job-%A.log" \
    "$here/array.sh" "$input" "$out" "$n" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterany:$array" \
    --output="$out/logs/merge-job-%j.log" \
    "$here/merge.sh" "$out" "$n")
echo "array job $array (shards $tasks of $n), merge job ${merge%%;*}"
