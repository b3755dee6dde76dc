"""The workloads on mpi4py.futures in world mode:
    mpirun -np N python3 -m mpi4py.futures Benchmarks/peers/mpi4py_bench.py WORKLOAD ARGS...
Rank 0 runs this script; ranks 1..N-1 are the workers.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mpi4py import MPI  # noqa: E402
from mpi4py.futures import MPIPoolExecutor  # noqa: E402

import workloads  # noqa: E402

if __name__ == "__main__":
    with MPIPoolExecutor() as executor:
        workers = MPI.COMM_WORLD.Get_size() - 1
        workloads.run(executor, workers, sys.argv[1:])
