#!/usr/bin/env bash
#SBATCH --job-name=bitext-shard
#SBATCH --requeue
# One shard of a sharded `bitext run`: array task K runs shard K/N into OUT/shard-K.
# A requeued or resubmitted task resumes from the shard's translation cache.
#
# Usage (submit.sh does this): sbatch --array=0-$((N-1)) array.sh INPUT OUT N [bitext run flags...]
# N is given explicitly so that resubmitting one task (--array=K) keeps K/N.
# Environment: BITEXT (the binary; default: bitext on PATH).
set -euo pipefail
input=$1 out=$2 n=$3
shift 3
k=${SLURM_ARRAY_TASK_ID:?run this as a Slurm array task}
threads=()
[[ -n ${SLURM_CPUS_PER_TASK:-} ]] && threads=(--threads "$SLURM_CPUS_PER_TASK")
exec "${BITEXT:-bitext}" run "$input" -o "$out/shard-$k" --shard "$k/$n" "${threads[@]}" "$@"
