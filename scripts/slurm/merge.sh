#!/usr/bin/env bash
#SBATCH --job-name=bitext-merge
# Merges OUT/shard-0 .. OUT/shard-(N-1) into OUT/all. Submitted with
# --dependency=afterany on the array, so it runs however the tasks ended; the merge
# itself refuses (exit 2, naming the shard) when a shard did not finish.
#
# Usage (submit.sh does this): sbatch --dependency=afterany:JOBID merge.sh OUT N
# Environment: BITEXT (the binary; default: bitext on PATH).
set -euo pipefail
out=$1 n=$2
shards=()
for ((k = 0; k < n; k++)); do shards+=("$out/shard-$k"); done
exec "${BITEXT:-bitext}" merge "${shards[@]}" -o "$out/all"
