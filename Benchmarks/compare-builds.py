#!/usr/bin/env python3
"""Compares two builds of SwiftPoolBench on the same workloads, in one run, taking turns, so that
the machine's noise falls on both alike; prints each build's median and the ratio (new against
old, turned so that above 1 is better for throughputs and below 1 is better for latencies).

    git worktree add /tmp/old <commit> && (cd /tmp/old && swift build -c release --product SwiftPoolBench)
    swift build -c release --product SwiftPoolBench
    python3 Benchmarks/compare-builds.py /tmp/old/.build/release/SwiftPoolBench .build/release/SwiftPoolBench

Nothing is asserted: this prints figures.
"""
import argparse
import statistics
import subprocess

from run import ENVIRONMENT  # the suite's own settings for mpirun (root, oversubscription, PMIx)

# (label, arguments, figure, lower is better)
WORKLOADS = [
    ("latency, median", ["latency", "--count", "5000"], "latency.median", True),
    ("unchunked throughput", ["throughput", "--count", "50000"], "throughput.tasks", False),
    ("map throughput", ["map", "--count", "500000"], "map.tasks", False),
    ("2,000 tasks of 1 ms", ["scaling", "--tasks", "2000", "--milliseconds", "1"], "scaling.2workers.seconds", True),
    ("16 MiB echo bandwidth", ["bandwidth", "--mebibytes", "16", "--repeats", "10"], "bandwidth.16MiB", False),
]


def figures(command):
    done = subprocess.run(command, env=ENVIRONMENT, capture_output=True, text=True, timeout=600)
    found = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "FIGURE":
            found[parts[1]] = float(parts[2])
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stdout}\n{done.stderr}")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--processes", type=int, default=3, help="mpirun -np (0: the plain start, 2 workers)")
    arguments = parser.parse_args()
    print(f"{'workload':28} {'old':>12} {'new':>12} {'new/old':>8}")
    for label, workload, name, lower in WORKLOADS:
        samples = {"old": [], "new": []}
        for _ in range(arguments.repeats):
            for which in ("old", "new"):
                binary = getattr(arguments, which)
                if arguments.processes:
                    command = ["mpirun", "-np", str(arguments.processes), binary, *workload]
                else:
                    takesWorkers = workload[0] in ("latency", "throughput", "map")
                    command = [binary, *workload] + (["--workers", "2"] if takesWorkers else [])
                samples[which].append(figures(command)[name])
        old, new = statistics.median(samples["old"]), statistics.median(samples["new"])
        # A ratio above 1 is better for a throughput; for a latency or a time, below 1 is.
        print(f"{label:28} {old:12.2f} {new:12.2f} {new / old:8.2f}{'  (lower is better)' if lower else ''}",
              flush=True)


if __name__ == "__main__":
    main()
