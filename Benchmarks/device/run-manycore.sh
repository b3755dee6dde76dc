#!/usr/bin/env bash
# The latency and scaling workloads on a many-core machine that has Open MPI and mpi4py but no
# Swift: SwiftPoolBench is built here with --static-swift-stdlib and carried over in device-bin/.
#
#   swift build -c release --static-swift-stdlib --product SwiftPoolBench
#   mkdir -p device-bin && cp .build/release/SwiftPoolBench device-bin/
#   mpicc -O2 -o device-bin/raw_pingpong Benchmarks/peers/raw_pingpong.c
#   bash Benchmarks/device/run-manycore.sh OUTPUT_FILE
#
# Prints and writes FIGURE lines prefixed with the system that produced them.
set -uo pipefail
out="${1:-/dev/stdout}"
here="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$here/device-bin"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export PMIX_MCA_psec=native PYTHONUNBUFFERED=1
cores="$(nproc)"

log() { echo "$*" | tee -a "$out"; }
tagged() {
    local system="$1"
    shift
    timeout 120 "$@" 2>&1 | sed -n "s/^FIGURE /FIGURE $system /p" | tee -a "$out"
}

log "MACHINE $(hostname) cores=$cores $(mpirun --version | head -1) $(python3 -c 'import mpi4py, sys; print("mpi4py", mpi4py.__version__, "python", sys.version.split()[0])' 2>&1)"
log "CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"

for run in 1 2 3; do
    tagged SwiftPool mpirun -np 2 "$bin/SwiftPoolBench" latency --count 10000
done
tagged raw mpirun -np 2 "$bin/raw_pingpong" latency 10000
tagged mpi4py mpirun -np 2 python3 -m mpi4py.futures "$here/Benchmarks/peers/mpi4py_bench.py" latency 5000

for workers in 1 2 4 8 $cores; do
    tagged SwiftPool mpirun -np $((workers + 1)) "$bin/SwiftPoolBench" scaling --tasks 480 --milliseconds 5
done
for workers in 1 4 $cores; do
    tagged mpi4py mpirun -np $((workers + 1)) python3 -m mpi4py.futures "$here/Benchmarks/peers/mpi4py_bench.py" scaling 480 5
done
tagged SwiftPool mpirun -np $((cores + 1)) "$bin/SwiftPoolBench" throughput --count 100000
tagged SwiftPool mpirun -np $((cores + 1)) "$bin/SwiftPoolBench" map --count 1000000
log "DONE"
