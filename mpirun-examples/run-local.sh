#!/usr/bin/env bash
# Runs one of the examples under mpirun on this machine: one worker per core plus rank 0.
#   mpirun-examples/run-local.sh [Example] [example arguments...]     (default: Mandelbrot)
# Root needs --allow-run-as-root; more ranks than cores need --oversubscribe (rank 0 mostly sleeps).
set -euo pipefail
cd "$(dirname "$0")/.."
example="${1:-Mandelbrot}"
shift || true
bash scripts/install-deps.sh
swift build -c release --product "$example"
exec mpirun --allow-run-as-root --oversubscribe -np "$(( $(nproc) + 1 ))" ".build/release/$example" "$@"
