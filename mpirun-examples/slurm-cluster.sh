#!/usr/bin/env bash
# A real three-node Slurm cluster on this machine, for trying (and testing) SwiftPool batch jobs.
# The nodes are the fake hosts h1 h2 h3 of fake-hosts.sh; slurmctld runs on h1. Needs root and
# Debian's slurm-wlm and munge (scripts/install-deps.sh slurm-wlm munge).
#
#   mpirun-examples/slurm-cluster.sh up     PREFIX   hosts, munged, slurmctld, three slurmd; waits for idle nodes
#   mpirun-examples/slurm-cluster.sh submit PREFIX SBATCH_ARGS...
#                                                    sbatch --wait from h1; prints the job's output
#                                                    (kept in $JOB_OUTPUT when that is set)
#   mpirun-examples/slurm-cluster.sh down   PREFIX   stops what `up` started (by PID) and removes the hosts
#
# Slurm runs as root here, without systemd or cgroups (proctrack/linuxproc, task/none). The
# configuration, spool, logs and PID files live in /tmp/PREFIX-slurm; every client finds the
# configuration through SLURM_CONF.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
command="${1:?usage: slurm-cluster.sh up|submit|down PREFIX ...}"
prefix="${2:?usage: slurm-cluster.sh up|submit|down PREFIX ...}"
dir="/tmp/$prefix-slurm"
export SLURM_CONF="$dir/slurm.conf"
cores="$(nproc)"

write_config() {
    mkdir -p "$dir/state"
    cat > "$SLURM_CONF" <<CONF
ClusterName=swiftpool
SlurmctldHost=h1(10.231.77.11)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool-%n
TmpFS=$dir/tmp-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=h1 NodeAddr=10.231.77.11 CPUs=$cores State=UNKNOWN
NodeName=h2 NodeAddr=10.231.77.12 CPUs=$cores State=UNKNOWN
NodeName=h3 NodeAddr=10.231.77.13 CPUs=$cores State=UNKNOWN
PartitionName=batch Nodes=h1,h2,h3 Default=YES MaxTime=INFINITE State=UP
CONF
    for node in h1 h2 h3; do mkdir -p "$dir/spool-$node" "$dir/tmp-$node"; done
}

# Runs a command on fake host $1 under its hostname; `nsenter --net` (not `ip netns exec`) so
# that slurmd keeps the root mount namespace it expects.
on_host() {
    local host="$1"
    shift
    nsenter --net="/run/netns/$prefix-$host" unshare --uts sh -c 'hostname "$1"; shift; exec "$@"' sh "$host" "$@"
}

up() {
    bash "$here/fake-hosts.sh" up "$prefix"
    write_config
    # A munged that answers is enough (pgrep would also count a dead one not yet reaped).
    if ! munge -n </dev/null >/dev/null 2>&1; then
        mkdir -p /run/munge && chown munge:munge /run/munge
        runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1
        cp /run/munge/munged.pid "$dir/munged.pid"
    fi
    # Daemons get no terminal: they must not hold the caller's output open.
    on_host h1 slurmctld -f "$SLURM_CONF" </dev/null >/dev/null 2>&1
    for node in h1 h2 h3; do on_host "$node" slurmd -f "$SLURM_CONF" -N "$node" </dev/null >/dev/null 2>&1; done
    # Wait until all three nodes are idle (the first start after install is the slowest).
    for _ in $(seq 1 120); do
        if [ "$(on_host h1 sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)" = 3 ]; then return 0; fi
        sleep 0.5
    done
    echo "the Slurm nodes did not become idle:" >&2
    on_host h1 sinfo -N >&2 || true
    tail -n 20 "$dir"/*.log >&2 || true
    return 1
}

submit() {
    shift 2
    local output="${JOB_OUTPUT:-$dir/job-$$.out}"
    local status=0
    on_host h1 sbatch --wait --output="$output" "$@" >/dev/null || status=$?
    cat "$output" 2>/dev/null || true
    return $status
}

down() {
    for pidfile in "$dir"/slurmd-*.pid "$dir/slurmctld.pid" "$dir/munged.pid"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    done
    sleep 0.5
    for pidfile in "$dir"/slurmd-*.pid "$dir/slurmctld.pid" "$dir/munged.pid"; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    done
    bash "$here/fake-hosts.sh" down "$prefix"
    rm -rf "$dir"
}

case "$command" in
    up) up ;;
    submit) submit "$@" ;;
    down) down ;;
    *) echo "unknown command $command" >&2; exit 2 ;;
esac
