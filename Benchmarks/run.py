#!/usr/bin/env python3
"""SwiftPool's benchmark suite: the same workloads on SwiftPool, mpi4py.futures, Python's
ProcessPoolExecutor and a raw MPI ping-pong, run in one go on this machine.

    python3 Benchmarks/run.py            # the full suite (make bench): about 12 minutes on 2 cores
    python3 Benchmarks/run.py --smoke    # seconds-long sizes, to check that everything still runs

Prints one table (each workload, each system's median figure, its ratio to SwiftPool, and the
target), writes the figures to bench-results/results.json and results.csv, and draws
bench-results/benchmarks.svg (the full suite also copies it to docs/benchmarks.svg for the README).
Nothing here asserts a speed: missed targets are reported, not failed.
"""
import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "Benchmarks", "peers")
BENCH = os.path.join(ROOT, ".build", "release", "SwiftPoolBench")
RAW = os.path.join(ROOT, ".build", "raw_pingpong")
PYTHON = "/usr/bin/python3"  # Debian's, which has python3-mpi4py and python3-numpy

# "SwiftPool" runs under mpirun, like the peers; "SwiftPool plain start" is the same program
# started on its own, which starts its workers itself.
SYSTEMS = ["SwiftPool", "SwiftPool plain start", "mpi4py.futures", "ProcessPoolExecutor", "raw MPI"]

ENVIRONMENT = dict(
    os.environ,
    OMPI_ALLOW_RUN_AS_ROOT="1",
    OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
    OMPI_MCA_rmaps_base_oversubscribe="1",
    # Munge may be installed without its daemon (Slurm's packages); jobs on one machine need none.
    PMIX_MCA_psec="native",
    PYTHONUNBUFFERED="1",
)


def sizes(smoke):
    if smoke:
        return dict(latency=200, throughput=2000, map=20_000, map_chunks=[1000], bandwidth=[1], bandwidth_repeats=2,
                    scaling_tasks=24, scaling_ms=5, idle_seconds=0.5, memory_map=20_000, memory_stream=50_000,
                    recovery_samples=1, recovery_tasks=40, sharing_mb=10, sharing_submits=20, short_tasks=100,
                    supervised_seconds=0.5, recycling_items=2000, recycling_samples=3, simulated_workers=[10, 1000],
                    simulated_tasks=2000)
    return dict(latency=10_000, throughput=100_000, map=1_000_000, map_chunks=[1000, 10_000, 100_000],
                bandwidth=[1, 16, 256], bandwidth_repeats=10, scaling_tasks=480, scaling_ms=5, idle_seconds=5,
                memory_map=1_000_000, memory_stream=10_000_000, recovery_samples=5, recovery_tasks=400,
                sharing_mb=100, sharing_submits=1000, short_tasks=2000, supervised_seconds=3, recycling_items=10_000,
                recycling_samples=20, simulated_workers=[10, 1000, 10_000, 100_000], simulated_tasks=200_000)


def mpirun(processes, command, unbound=False, recovery=False):
    # Unbound, rank 0's two busy threads (the program's and the one that owns MPI) do not have to
    # share the single core mpirun would bind it to; every system gets the same setting. With
    # recovery, the other ranks keep running when one dies.
    return (["mpirun", "-np", str(processes)] + (["--bind-to", "none"] if unbound else [])
            + (["--enable-recovery"] if recovery else []) + command)


FAILURES = []


def run_command(command, timeout=1800):
    """Runs one benchmark process and returns its FIGURE lines as {name: value}."""
    started = time.time()
    completed = subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True, timeout=timeout)
    figures = {}
    for line in completed.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "FIGURE":
            figures[parts[1]] = float(parts[2])
    if completed.returncode != 0 or not figures:
        FAILURES.append(" ".join(command))
        sys.stderr.write(f"failed ({completed.returncode}): {' '.join(command)}\n{completed.stdout}\n{completed.stderr}\n")
    print(f"    {time.time() - started:6.1f} s  {' '.join(command[:8])}{' ...' if len(command) > 8 else ''}", flush=True)
    return figures


def medians(command, repeats):
    runs = [run_command(command) for _ in range(repeats)]
    names = set().union(*runs)
    return {name: statistics.median([run[name] for run in runs if name in run]) for name in names}


def collect(smoke, repeats, cores):
    s = sizes(smoke)
    workers = cores
    results = {system: {} for system in SYSTEMS}

    def add(system, figures):
        results[system].update(figures)

    swift = lambda processes, *args, unbound=False: mpirun(processes, [BENCH, *map(str, args)], unbound)  # noqa: E731
    mpi4py = lambda processes, *args, unbound=False: mpirun(  # noqa: E731
        processes, [PYTHON, "-m", "mpi4py.futures", os.path.join(PEERS, "mpi4py_bench.py"), *map(str, args)], unbound)
    ppe = lambda processes, *args: [PYTHON, os.path.join(PEERS, "ppe_bench.py"), str(processes), *map(str, args)]  # noqa: E731

    print("1. round-trip latency, 1 worker (mpirun --bind-to none)", flush=True)
    add("SwiftPool", medians(swift(2, "latency", "--count", s["latency"], unbound=True), repeats))
    add("SwiftPool plain start", medians([BENCH, "latency", "--count", str(s["latency"]), "--workers", "1"], repeats))
    add("mpi4py.futures", medians(mpi4py(2, "latency", s["latency"], unbound=True), repeats))
    add("ProcessPoolExecutor", medians(ppe(1, "latency", s["latency"]), repeats))
    raw = medians(mpirun(2, [RAW, "latency", str(s["latency"])], unbound=True), repeats)
    add("raw MPI", {name.replace("raw.", ""): value for name, value in raw.items()})

    print(f"2. unchunked throughput, {workers} workers", flush=True)
    add("SwiftPool", medians(swift(workers + 1, "throughput", "--count", s["throughput"]), repeats))
    add("SwiftPool plain start", medians([BENCH, "throughput", "--count", str(s["throughput"]),
                                          "--workers", str(workers)], repeats))
    add("mpi4py.futures", medians(mpi4py(workers + 1, "throughput", s["throughput"]), repeats))
    add("ProcessPoolExecutor", medians(ppe(workers, "throughput", s["throughput"]), repeats))

    print(f"3. map throughput, {workers} workers", flush=True)
    add("SwiftPool", medians(swift(workers + 1, "map", "--count", s["map"]), repeats))
    add("SwiftPool plain start", medians([BENCH, "map", "--count", str(s["map"]), "--workers", str(workers)], repeats))
    add("mpi4py.futures", medians(mpi4py(workers + 1, "map", s["map"], *s["map_chunks"]), repeats))
    add("ProcessPoolExecutor", medians(ppe(workers, "map", s["map"], *s["map_chunks"]), repeats))

    print("4. bandwidth, [Double] there and back", flush=True)
    for mib in s["bandwidth"]:
        reps = 3 if mib >= 256 else s["bandwidth_repeats"]
        add("SwiftPool", medians(swift(2, "bandwidth", "--mebibytes", mib, "--repeats", reps), repeats))
        add("mpi4py.futures", medians(mpi4py(2, "bandwidth", mib, reps), repeats))
        add("ProcessPoolExecutor", medians(ppe(1, "bandwidth", mib, reps), repeats))
        raw = medians(mpirun(2, [RAW, "bandwidth", str(mib)]), repeats)
        add("raw MPI", {name.replace("raw.", ""): value for name, value in raw.items()})

    print(f"5. scaling, {s['scaling_tasks']} tasks of {s['scaling_ms']} ms", flush=True)
    for count in range(1, cores + 1):
        add("SwiftPool", medians(swift(count + 1, "scaling", "--tasks", s["scaling_tasks"], "--milliseconds",
                                       s["scaling_ms"]), repeats))
        add("mpi4py.futures", medians(mpi4py(count + 1, "scaling", s["scaling_tasks"], s["scaling_ms"]), repeats))
        add("ProcessPoolExecutor", medians(ppe(count, "scaling", s["scaling_tasks"], s["scaling_ms"]), repeats))

    print(f"5b. {s['short_tasks']} tasks of 1 ms, {workers} workers", flush=True)
    add("SwiftPool", medians(swift(workers + 1, "scaling", "--tasks", s["short_tasks"], "--milliseconds", 1,
                                   "--name", "short"), repeats))
    add("SwiftPool plain start", medians([BENCH, "scaling", "--tasks", str(s["short_tasks"]), "--milliseconds", "1",
                                          "--name", "short"], repeats))
    add("mpi4py.futures", medians(mpi4py(workers + 1, "scaling", s["short_tasks"], 1, "short"), repeats))
    add("ProcessPoolExecutor", medians(ppe(workers, "scaling", s["short_tasks"], 1, "short"), repeats))

    print(f"6. idle cost over {s['idle_seconds']} s", flush=True)
    add("SwiftPool", medians(swift(workers + 1, "idle", "--seconds", s["idle_seconds"]), repeats))
    add("mpi4py.futures", medians(mpi4py(workers + 1, "idle", s["idle_seconds"]), repeats))
    add("ProcessPoolExecutor", medians(ppe(workers, "idle", s["idle_seconds"]), repeats))

    print("7. rank 0 memory", flush=True)
    add("SwiftPool", medians(swift(workers + 1, "memory", "--mode", "map", "--count", s["memory_map"]), 1))
    add("SwiftPool", medians(swift(workers + 1, "memory", "--mode", "stream", "--count", s["memory_stream"]), 1))
    add("mpi4py.futures", medians(mpi4py(workers + 1, "memory", s["memory_map"]), 1))
    add("ProcessPoolExecutor", medians(ppe(workers, "memory", s["memory_map"]), 1))

    # The peers have no figure here: a dead worker ends an mpi4py.futures job (mpirun aborts it) and
    # breaks a ProcessPoolExecutor (BrokenProcessPool for every pending future).
    print("8. a worker's death: noticed, its task run again, a map that loses one", flush=True)
    add("SwiftPool", medians([BENCH, "recovery", "--samples", str(s["recovery_samples"]), "--tasks",
                              str(s["recovery_tasks"])], repeats))
    add("SwiftPool", medians(mpirun(workers + 1, [BENCH, "recovery", "--map-only", "--tasks", str(s["recovery_tasks"])]),
                             repeats))

    print("9. start-up: from the first pool call to a ready pool", flush=True)
    add("SwiftPool", medians(swift(workers + 1, "startup"), repeats))
    add("SwiftPool plain start", medians([BENCH, "startup"], repeats))

    # The plain property sends the array with every task: one run of it is minutes long already.
    print(f"10. {s['sharing_submits']:,} submits of a function holding a {s['sharing_mb']} MB array: shared or a "
          "plain property", flush=True)
    for mode, runs in (("shared", repeats), ("plain", 1)):
        sharing = ["sharing", "--mode", mode, "--megabytes", s["sharing_mb"], "--submits", s["sharing_submits"]]
        add("SwiftPool", medians(swift(workers + 1, *sharing), runs))
        add("SwiftPool plain start", medians([BENCH, *map(str, sharing), "--workers", str(workers)], runs))

    # Under mpirun each worker's parent is a supervisor rank; in the plain start it is rank 0.
    print(f"11. a supervisor's CPU while its worker runs a {s['supervised_seconds']} s task", flush=True)
    add("SwiftPool", medians(swift(workers + 1, "supervisor", "--seconds", s["supervised_seconds"]), repeats))

    # One worker for the replacement's time, so the next task must wait for the replacement.
    print(f"12. recycling: a map of {s['recycling_items']:,} items of 0.1 ms with maxTasksPerWorker 100 against "
          "none; a worker's last task to its replacement's first", flush=True)
    recycling = ["recycling", "--mode", "map", "--items", s["recycling_items"]]
    add("SwiftPool", medians(swift(workers + 1, *recycling), repeats))
    add("SwiftPool plain start", medians([BENCH, *map(str, recycling), "--workers", str(workers)], repeats))
    replace = ["recycling", "--mode", "replace", "--samples", s["recycling_samples"]]
    add("SwiftPool", medians(swift(2, *replace), repeats))
    add("SwiftPool plain start", medians([BENCH, *map(str, replace), "--workers", "1"], repeats))

    # Rank 0 alone, past this machine: the real scheduler and API over simulated workers.
    print(f"13. rank 0 over simulated workers: {s['simulated_tasks']:,} tasks of 1 ms", flush=True)
    for count in s["simulated_workers"]:
        add("SwiftPool plain start", simulate(count, s["simulated_tasks"]))

    # What one more worker costs rank 0: the slope between two plain starts.
    small, large = (8, 32) if smoke else (64, 256)
    print(f"13b. rank 0's descriptors, threads and memory with {small} and {large} workers", flush=True)
    footprint = {}
    for count in (small, large):
        footprint.update(medians([BENCH, "footprint", "--workers", str(count)], 1))
    per_worker = {}
    for figure in ("descriptors", "threads", "rssMB"):
        low, high = footprint.get(f"footprint.{small}workers.{figure}"), footprint.get(f"footprint.{large}workers.{figure}")
        if low is not None and high is not None:
            per_worker[f"footprint.perWorker.{figure}"] = (high - low) / (large - small)
    per_worker["footprint.perWorker.rssKB"] = per_worker.pop("footprint.perWorker.rssMB", float("nan")) * 1024
    per_worker["footprint.startup.large"] = footprint.get(f"footprint.{large}workers.startupSeconds", float("nan"))
    add("SwiftPool plain start", per_worker)

    # Real processes, as many as this machine holds: the test suite's nightly size.
    if not smoke:
        print("14. 512 workers (plain start) and mpirun -np 257, each losing 5 to SIGKILL mid-map", flush=True)
        add("SwiftPool", nightly_scale_tests())
    return results


def simulate(workers, tasks):
    """One `SwiftPoolBench simulate` run: its JSON line, as figures named simulate.N.*."""
    command = [BENCH, "simulate", "--workers", str(workers), "--tasks", str(tasks), "--task-micros", "1000"]
    started = time.time()
    completed = subprocess.run(command, cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True, timeout=1800)
    print(f"    {time.time() - started:6.1f} s  {' '.join(command)}", flush=True)
    try:
        line = json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        FAILURES.append(" ".join(command))
        sys.stderr.write(f"failed ({completed.returncode}): {' '.join(command)}\n{completed.stdout}\n{completed.stderr}\n")
        return {}
    figures = {f"simulate.{workers}.{key}": float(value) for key, value in line.items() if key not in ("workers", "tasks")}
    figures[f"simulate.{workers}.rank0_cpu_us_per_task"] = line["rank0_cpu_seconds_per_task"] * 1e6
    return figures


def nightly_scale_tests():
    """Runs the test suite's nightly scale test (skipped by a plain `swift test`); 1 if it passed."""
    command = ["swift", "test", "--filter", "ScaleTests"]
    started = time.time()
    completed = subprocess.run(command, cwd=ROOT, env=dict(ENVIRONMENT, SWIFTPOOL_NIGHTLY="1"), capture_output=True,
                               text=True, timeout=3600)
    print(f"    {time.time() - started:6.1f} s  SWIFTPOOL_NIGHTLY=1 {' '.join(command)}", flush=True)
    passed = completed.returncode == 0 and "nightly" in completed.stdout
    if not passed:
        FAILURES.append("SWIFTPOOL_NIGHTLY=1 " + " ".join(command))
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
    return {"scale.nightly.passed": 1.0 if passed else 0.0}


# (workload, figure, unit, higher is better)
def rows(results, smoke, cores):
    s = sizes(smoke)
    table = [
        ("1. latency, median", "latency.median", "µs", False),
        ("1. latency, p99", "latency.p99", "µs", False),
        ("2. unchunked throughput", "throughput.tasks", "tasks/s", True),
        ("3. map throughput (best chunk)", "map.tasks", "tasks/s", True),
    ]
    table += [(f"4. bandwidth {mib} MiB", f"bandwidth.{mib}MiB", "GB/s", True) for mib in s["bandwidth"]]
    table += [(f"5. efficiency, {w} worker{'s' if w > 1 else ''}", f"scaling.{w}workers.efficiency", "ratio", True)
              for w in range(1, cores + 1)]
    table += [
        (f"5b. 1 ms tasks, efficiency, {cores} workers", f"short.{cores}workers.efficiency", "ratio", True),
        ("6. idle, worst process", "idle.worst", "% core", False),
        (f"7. rank 0 RSS, map {s['memory_map']:,}", "memory.map", "MB", False),
        (f"7. rank 0 RSS, stream {s['memory_stream']:,}", "memory.stream", "MB", False),
        ("8. death noticed (maxRetries 0)", "recovery.detectMs", "ms", False),
        ("8. death → task running again", "recovery.rerunMs", "ms", False),
        ("8. map losing 1 worker, replaced", "recovery.map.replaced.slowdown", "ratio", False),
        ("8. map losing 1 worker, mpirun (no flag)", "recovery.map.mpirun.slowdown", "ratio", False),
        ("9. start-up to a ready pool", "startup.pool", "s", False),
        (f"10. {s['sharing_submits']:,} submits, {s['sharing_mb']} MB shared", "sharing.shared.seconds", "s", False),
        (f"10. {s['sharing_submits']:,} submits, {s['sharing_mb']} MB property", "sharing.plain.seconds", "s", False),
        ("10. bytes sent, shared", "sharing.shared.sentMB", "MB", False),
        ("10. bytes sent, property", "sharing.plain.sentMB", "MB", False),
        ("11. supervisor CPU, worker busy", "supervisor.cpu", "% core", False),
        ("12. map, maxTasksPerWorker 100 against none", "recycling.map.slowdown", "ratio", False),
        ("12. last task → replacement's first task", "recycling.replaceMs", "ms", False),
    ]
    for count in s["simulated_workers"]:
        table += [
            (f"13. simulated, {count:,} workers: rate", f"simulate.{count}.tasks_per_second", "tasks/s", True),
            (f"13. simulated, {count:,} workers: rank 0 CPU/task", f"simulate.{count}.rank0_cpu_us_per_task", "µs",
             False),
            (f"13. simulated, {count:,} workers: bytes/worker", f"simulate.{count}.rank0_bytes_per_worker", "B", False),
        ]
    small, large = (8, 32) if smoke else (64, 256)
    table += [
        (f"13b. rank 0 descriptors per worker ({small} → {large})", "footprint.perWorker.descriptors", "count", False),
        (f"13b. rank 0 threads per worker ({small} → {large})", "footprint.perWorker.threads", "count", False),
        (f"13b. rank 0 resident memory per worker ({small} → {large})", "footprint.perWorker.rssKB", "KB", False),
        (f"13b. start-up to a ready pool, {large} workers", "footprint.startup.large", "s", False),
    ]
    if not smoke:
        table.append(("14. 512 + 256 workers, 5 killed each (1 = passed)", "scale.nightly.passed", "", True))
    return table


def targets(results, smoke, cores):
    """The issue's targets: (description, met?) from this run's figures."""
    s = sizes(smoke)
    swift, plain, mpi4py, ppe, raw = (results[name] for name in SYSTEMS)
    checks = []

    def check(description, condition):
        try:
            checks.append((description, bool(condition())))
        except (KeyError, ZeroDivisionError):
            checks.append((description, None))

    check("latency ≥ 20× lower than mpi4py.futures", lambda: mpi4py["latency.median"] / swift["latency.median"] >= 20)
    check("latency ≤ 30× a raw MPI round trip", lambda: swift["latency.median"] / raw["latency.median"] <= 30)
    check("unchunked throughput ≥ 20× mpi4py.futures", lambda: swift["throughput.tasks"] / mpi4py["throughput.tasks"] >= 20)
    check("map throughput ≥ 5× the best peer",
          lambda: swift["map.tasks"] / max(mpi4py["map.tasks"], ppe["map.tasks"]) >= 5)
    for mib in [m for m in s["bandwidth"] if m >= 16]:
        check(f"bandwidth ≥ 50 % of raw MPI at {mib} MiB",
              lambda mib=mib: swift[f"bandwidth.{mib}MiB"] / raw[f"bandwidth.{mib}MiB"] >= 0.5)
    check(f"parallel efficiency ≥ 0.9 at {cores} workers", lambda: swift[f"scaling.{cores}workers.efficiency"] >= 0.9)
    check("idle < 1 % of a core per process", lambda: swift["idle.worst"] < 1)
    check("rank 0 < 100 MB for the streaming map", lambda: swift["memory.stream"] < 100)
    check("a dead worker noticed within 1 s", lambda: swift["recovery.detectMs"] < 1000)
    check("a supervisor < 1 % of a core while its worker runs a long task", lambda: swift["supervisor.cpu"] < 1)
    check("plain start latency ≤ 1.2× mpirun's", lambda: plain["latency.median"] / swift["latency.median"] <= 1.2)
    simulated = s["simulated_workers"]
    large = [count for count in simulated if count >= 10_000]
    for count in large:
        check(f"simulated rate at {count:,} workers ≥ 0.8× the rate at 10",
              lambda count=count: plain[f"simulate.{count}.tasks_per_second"] >= 0.8 * plain["simulate.10.tasks_per_second"])
    for count in simulated:
        check(f"rank 0 holds ≤ 16 KiB per simulated worker at {count:,}",
              lambda count=count: plain[f"simulate.{count}.rank0_bytes_per_worker"] <= 16 * 1024)
    if not smoke:
        check("the nightly scale test passed (512 workers; mpirun -np 257)", lambda: swift["scale.nightly.passed"] == 1)
    check("plain start unchunked throughput ≥ 0.9× mpirun's",
          lambda: plain["throughput.tasks"] / swift["throughput.tasks"] >= 0.9)
    return checks


def format_value(value, unit):
    if value is None:
        return "n/a"
    if unit in ("tasks/s",):
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value:.2f}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def print_table(results, table):
    header = f"{'workload':34} {'unit':8}" + "".join(f"{system:>23}" for system in SYSTEMS)
    print(header)
    print("-" * len(header))
    for label, key, unit, _ in table:
        base = results["SwiftPool"].get(key)
        cells = []
        for system in SYSTEMS:
            value = results[system].get(key)
            text = format_value(value, unit)
            if system != "SwiftPool" and value is not None and base:
                text += f" ({value / base:.2g}×)"
            cells.append(f"{text:>23}")
        print(f"{label:34} {unit:8}" + "".join(cells))
    print("(×: the system's figure divided by SwiftPool's)")


def write_files(results, table, checks, machine, out, smoke):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as file:
        json.dump({"machine": machine, "smoke": smoke, "figures": results,
                   "targets": [{"target": d, "met": m} for d, m in checks]}, file, indent=2)
    with open(os.path.join(out, "results.csv"), "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["workload", "figure", "unit"] + SYSTEMS)
        for label, key, unit, _ in table:
            writer.writerow([label, key, unit] + [results[s].get(key, "") for s in SYSTEMS])


def draw_chart(results, table, machine, path):
    """A bar chart of how many times better SwiftPool is than each peer, per workload (log scale)."""
    import math

    peers = ["mpi4py.futures", "ProcessPoolExecutor", "raw MPI"]
    colors = {"mpi4py.futures": "#4e79a7", "ProcessPoolExecutor": "#f28e2b", "raw MPI": "#59a14f"}
    bars = []
    for label, key, unit, higher in table:
        if unit == "ratio":
            continue
        base = results["SwiftPool"].get(key)
        row = []
        for peer in peers:
            value = results[peer].get(key)
            if base and value:
                row.append((peer, base / value if higher else value / base))
        if row:
            bars.append((label, row))
    width, row_height, left = 900, 54, 250
    height = 90 + row_height * len(bars)
    low, high = -2.0, 3.0  # log10 of the advantage: 0.01× .. 1000×
    x = lambda v: left + (math.log10(max(min(v, 10 ** high), 10 ** low)) - low) / (high - low) * (width - left - 30)  # noqa: E731
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="22" font-size="15" font-weight="bold">How many times better SwiftPool is, per workload (log scale; right of 1× is better)</text>',
           f'<text x="10" y="40" fill="#555">{machine}</text>']
    for tick in range(int(low), int(high) + 1):
        tx = x(10 ** tick)
        svg.append(f'<line x1="{tx:.1f}" y1="55" x2="{tx:.1f}" y2="{height - 20}" stroke="{"#000" if tick == 0 else "#ddd"}"/>')
        svg.append(f'<text x="{tx:.1f}" y="{height - 6}" text-anchor="middle" fill="#555">{10 ** tick:g}×</text>')
    for index, (label, row) in enumerate(bars):
        top = 60 + index * row_height
        svg.append(f'<text x="{left - 8}" y="{top + row_height / 2:.0f}" text-anchor="end">{label}</text>')
        bar_height = (row_height - 12) / len(peers)
        for position, (peer, advantage) in enumerate(row):
            y = top + 4 + peers.index(peer) * bar_height
            x0, x1 = x(1), x(advantage)
            svg.append(f'<rect x="{min(x0, x1):.1f}" y="{y:.1f}" width="{abs(x1 - x0):.1f}" height="{bar_height - 2:.1f}" fill="{colors[peer]}"/>')
            svg.append(f'<text x="{max(x0, x1) + 4:.1f}" y="{y + bar_height - 4:.1f}" fill="#333" font-size="10">{advantage:.2g}×</text>')
    for position, peer in enumerate(peers):
        svg.append(f'<rect x="{left + position * 190}" y="46" width="10" height="10" fill="{colors[peer]}"/>')
        svg.append(f'<text x="{left + position * 190 + 14}" y="55">vs {peer}</text>')
    svg.append("</svg>")
    with open(path, "w") as file:
        file.write("\n".join(svg))


def build():
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "install-deps.sh"), "python3-mpi4py", "python3-numpy"],
                   check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "SwiftPoolBench"], cwd=ROOT, check=True)
    os.makedirs(os.path.dirname(RAW), exist_ok=True)
    subprocess.run(["mpicc", "-O2", "-o", RAW, os.path.join(PEERS, "raw_pingpong.c")], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run each")
    parser.add_argument("--repeats", type=int, help="runs per figure (median); 3 by default, 1 with --smoke")
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="workers for the all-workers workloads")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-results"))
    arguments = parser.parse_args()
    repeats = arguments.repeats or (1 if arguments.smoke else 3)
    build()
    peer_python = subprocess.run([PYTHON, "--version"], capture_output=True, text=True).stdout.strip()
    machine = (f"{platform.node()}: {arguments.cores} cores, {platform.system()} {platform.release()}, "
               f"{subprocess.run(['mpirun', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}, "
               f"{peer_python}")
    print(f"SwiftPool benchmarks on {machine}; median of {repeats} run(s) per figure", flush=True)
    started = time.time()
    results = collect(arguments.smoke, repeats, arguments.cores)
    table = rows(results, arguments.smoke, arguments.cores)
    checks = targets(results, arguments.smoke, arguments.cores)
    print()
    print_table(results, table)
    print()
    for description, met in checks:
        print(f"  [{'met' if met else 'MISSED' if met is False else 'n/a'}] {description}")
    write_files(results, table, checks, machine, arguments.out, arguments.smoke)
    chart = os.path.join(arguments.out, "benchmarks.svg")
    draw_chart(results, table, machine, chart)
    if not arguments.smoke:
        os.makedirs(os.path.join(ROOT, "docs"), exist_ok=True)
        shutil.copy(chart, os.path.join(ROOT, "docs", "benchmarks.svg"))
        shutil.copy(os.path.join(arguments.out, "results.json"), os.path.join(ROOT, "docs", "benchmarks.json"))
    print(f"\nwrote {arguments.out}/results.json, results.csv, benchmarks.svg in {time.time() - started:.0f} s")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} benchmark runs failed:\n" + "\n".join(FAILURES))


if __name__ == "__main__":
    main()
