#!/usr/bin/env bash
# Three fake hosts on this machine, made of Linux network namespaces, for trying (and testing)
# SwiftPool across hosts without a cluster. Needs root, iproute2 and util-linux (unshare).
#
#   mpirun-examples/fake-hosts.sh up   PREFIX      create hosts h1 h2 h3 (namespaces PREFIX-h1 ...)
#   mpirun-examples/fake-hosts.sh run  PREFIX NP PROGRAM [ARGS...]
#                                                  mpirun over them, started inside h1
#                                                  (more mpirun options in $MPIRUN_OPTIONS,
#                                                  e.g. MPIRUN_OPTIONS=--enable-recovery)
#   mpirun-examples/fake-hosts.sh down PREFIX      remove everything `up` made
#
# Each host is a namespace with its own hostname and a veth into a bridge that lives in a
# namespace of its own (PREFIX-br); the subnet 10.231.77.0/24 exists only there. Nothing is
# attached to the root namespace or to any real interface. Open MPI reaches the hosts through
# mpirun-examples/netns-rsh.sh, which stands in for ssh.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
command="${1:?usage: fake-hosts.sh up|run|down PREFIX ...}"
prefix="${2:?usage: fake-hosts.sh up|run|down PREFIX ...}"
hosts=(h1 h2 h3)
subnet="10.231.77"

address() { echo "$subnet.$((10 + ${1#h}))"; }

up() {
    ip netns add "$prefix-br"
    ip -n "$prefix-br" link add br0 type bridge
    ip -n "$prefix-br" link set br0 up
    mkdir -p /etc/netns
    for host in "${hosts[@]}"; do
        local ns="$prefix-$host"
        ip netns add "$ns"
        # The pair is made with one end in each namespace: it never exists in the root one.
        ip -n "$ns" link add eth0 type veth peer name "v$host" netns "$prefix-br"
        ip -n "$ns" addr add "$(address "$host")/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        ip -n "$prefix-br" link set "v$host" master br0
        ip -n "$prefix-br" link set "v$host" up
        mkdir -p "/etc/netns/$ns"
        {
            echo "127.0.0.1 localhost"
            for other in "${hosts[@]}"; do echo "$(address "$other") $other"; done
        } > "/etc/netns/$ns/hosts"
    done
}

down() {
    for host in "${hosts[@]}"; do
        local ns="$prefix-$host"
        # Anything still running in the namespace goes first.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "/etc/netns/$ns"
    done
    ip netns del "$prefix-br" 2>/dev/null || true
}

run() {
    local processes="${3:?NP}"
    shift 3
    local hostfile
    hostfile="$(mktemp)"
    # h1 holds rank 0 and one worker; h2 and h3 one worker each.
    printf 'h1 slots=2\nh2 slots=1\nh3 slots=1\n' > "$hostfile"
    SWIFTPOOL_NETNS_PREFIX="$prefix" ip netns exec "$prefix-h1" unshare --uts sh -c '
        hostname h1
        exec "$@"' sh \
        mpirun --allow-run-as-root --oversubscribe --hostfile "$hostfile" -np "$processes" \
        --mca plm_rsh_agent "$here/netns-rsh.sh" --bind-to none \
        --mca btl tcp,self --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0 \
        ${MPIRUN_OPTIONS:-} "$@"
    local status=$?
    rm -f "$hostfile"
    return $status
}

case "$command" in
    up) up ;;
    down) down ;;
    run) run "$@" ;;
    *) echo "unknown command $command" >&2; exit 2 ;;
esac
