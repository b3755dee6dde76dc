"""The workloads on Python's concurrent.futures.ProcessPoolExecutor:
    python3 Benchmarks/peers/ppe_bench.py WORKERS WORKLOAD ARGS...
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads  # noqa: E402

if __name__ == "__main__":
    workers = int(sys.argv[1])
    with ProcessPoolExecutor(max_workers=workers) as executor:
        workloads.run(executor, workers, sys.argv[2:])
