#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying and testing the Slurm recipe.
#
# Usage: scripts/slurm/cluster.sh start|stop|status
#   start   installs Debian's slurm-wlm and munge when they are missing (root only),
#           writes a minimal slurm.conf, starts munged, slurmctld and slurmd without
#           systemd, and waits until sinfo shows the node idle. Then prints the
#           `export SLURM_CONF=...` line that the Slurm commands need.
#   stop    kills the daemons this script started (by the PIDs it recorded).
#   status  exits 0 when the cluster answers and its node is idle or busy.
# Environment: BITEXT_SLURM_DIR (state, logs and slurm.conf; default /tmp/bitext-slurm).
#
# The configuration needs no cgroups, so it runs in containers too:
# ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, SelectType=select/cons_tres.
set -euo pipefail

dir=${BITEXT_SLURM_DIR:-/tmp/bitext-slurm}
conf=$dir/slurm.conf
export SLURM_CONF=$conf
node=$(hostname -s)

die() { echo "cluster.sh: $*" >&2; exit 1; }

install_packages() {
    command -v slurmctld >/dev/null && command -v munged >/dev/null && return
    [[ $(id -u) == 0 ]] || die "slurm-wlm and munge are not installed (and not root to install them)"
    command -v apt-get >/dev/null || die "slurm-wlm and munge are not installed (and no apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

write_conf() {
    mkdir -p "$dir/ctld" "$dir/d"
    local cpus mem_mb
    cpus=$(nproc)
    mem_mb=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2))
    cat >"$conf" <<EOF
ClusterName=bitext-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/d
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

# The node's state as sinfo reports it (idle, mix, alloc, down...), or nothing.
node_state() { sinfo -h -n "$node" -o %t 2>/dev/null | head -n1; }

start() {
    if [[ -f $dir/pids ]] && status >/dev/null 2>&1; then
        echo "export SLURM_CONF=$conf"
        return
    fi
    install_packages
    write_conf
    : >"$dir/pids"
    # munged: the key comes with the Debian package; make one if it is missing.
    if [[ ! -S /run/munge/munge.socket.2 ]] || ! munge -n >/dev/null 2>&1; then
        [[ -f /etc/munge/munge.key ]] || mungekey --create --keyfile=/etc/munge/munge.key
        mkdir -p /run/munge /var/log/munge /var/lib/munge
        munged --force --pid-file="$dir/munged.pid"
        sleep 0.5
        cat "$dir/munged.pid" >>"$dir/pids"
    fi
    slurmctld -f "$conf"
    slurmd -f "$conf"
    for _ in $(seq 50); do
        [[ -f $dir/slurmctld.pid && -f $dir/slurmd.pid ]] && break
        sleep 0.2
    done
    cat "$dir/slurmctld.pid" "$dir/slurmd.pid" >>"$dir/pids" 2>/dev/null || true
    for _ in $(seq 60); do
        case $(node_state) in
            idle*) echo "export SLURM_CONF=$conf"; return ;;
            down* | drain*) scontrol update nodename="$node" state=resume 2>/dev/null || true ;;
        esac
        sleep 0.5
    done
    die "the node did not become idle; see $dir/slurmctld.log and $dir/slurmd.log"
}

stop() {
    [[ -f $dir/pids ]] || { echo "cluster.sh: nothing started from $dir"; return; }
    while read -r pid; do
        [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
    done <"$dir/pids"
    rm -f "$dir/pids"
}

status() {
    case $(node_state) in
        idle* | mix* | alloc* | comp*) echo "up: $(node_state) (SLURM_CONF=$conf)" ;;
        *) echo "down" >&2; return 1 ;;
    esac
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "usage: cluster.sh start|stop|status" ;;
esac
