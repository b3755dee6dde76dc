#!/bin/sh
# Open MPI's remote shell for the fake hosts of fake-hosts.sh: `netns-rsh.sh HOST COMMAND...`
# runs COMMAND in HOST's network namespace under HOST's hostname, as `ssh HOST COMMAND` would.
host="$1"
shift
exec ip netns exec "${SWIFTPOOL_NETNS_PREFIX:?}-$host" unshare --uts sh -c 'hostname "$1"; shift; exec sh -c "$*"' sh "$host" "$@"
