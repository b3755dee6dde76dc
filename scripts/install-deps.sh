#!/usr/bin/env bash
# Installs what SwiftPool needs from Debian's packages, only when it is missing:
# Open MPI (mpirun, headers, libmpi) and pkg-config, which SwiftPM uses to find them.
# Extra Debian packages can be named as arguments (the benchmarks ask for python3-mpi4py).
set -euo pipefail

missing=()
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists ompi-c 2>/dev/null; then missing+=(libopenmpi-dev); fi
for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
