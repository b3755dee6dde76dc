"""The benchmark workloads, written once for both Python peers (mpi4py.futures and
concurrent.futures.ProcessPoolExecutor). Each prints `FIGURE <name> <value> <unit>` lines, the
same names and units as SwiftPoolBench, so the driver can put them side by side.

`executor` is any concurrent.futures-style executor; `workers` how many processes it has.
"""
import os
import resource
import statistics
import sys
import time


def figure(name, value, unit):
    print(f"FIGURE {name} {value} {unit}", flush=True)


def increment(x):
    return x + 1


def echo(values):
    return values


def busy(milliseconds):
    """Keeps a core busy for the given time: the scaling workload's task."""
    end = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < end:
        pass
    return milliseconds


def cpu_sample(_):
    """This process's id and CPU seconds, after a short sleep that spreads a batch of these."""
    time.sleep(0.02)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return os.getpid(), usage.ru_utime + usage.ru_stime


def latency(executor, count):
    for value in range(min(count, 1000)):
        executor.submit(increment, value).result()
    samples = []
    for value in range(count):
        start = time.perf_counter()
        result = executor.submit(increment, value).result()
        samples.append((time.perf_counter() - start) * 1e6)
        assert result == value + 1
    samples.sort()
    figure("latency.median", statistics.median(samples), "us")
    figure("latency.p99", samples[min(len(samples) - 1, round((len(samples) - 1) * 0.99))], "us")


def throughput(executor, count):
    start = time.perf_counter()
    futures = [executor.submit(increment, value) for value in range(count)]
    total = sum(future.result() for future in futures)
    elapsed = time.perf_counter() - start
    assert total == count * (count + 1) // 2
    figure("throughput.tasks", count / elapsed, "tasks/s")


def map_throughput(executor, count, chunk_sizes):
    best = 0.0
    for chunk_size in chunk_sizes:
        start = time.perf_counter()
        results = list(executor.map(increment, range(count), chunksize=chunk_size))
        elapsed = time.perf_counter() - start
        assert results[-1] == count
        rate = count / elapsed
        figure(f"map.chunk{chunk_size}", rate, "tasks/s")
        best = max(best, rate)
    figure("map.tasks", best, "tasks/s")


def bandwidth(executor, mebibytes, repeats):
    import numpy

    values = numpy.arange(mebibytes * 1024 * 1024 // 8, dtype=numpy.float64)
    executor.submit(echo, values).result()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        echoed = executor.submit(echo, values).result()
        times.append(time.perf_counter() - start)
    assert echoed[-1] == values[-1]
    figure(f"bandwidth.{mebibytes}MiB", 2 * values.nbytes / statistics.median(times) / 1e9, "GB/s")


def scaling(executor, workers, tasks, milliseconds, name="scaling"):
    start = time.perf_counter()
    list(executor.map(busy, [milliseconds] * tasks))
    elapsed = time.perf_counter() - start
    ideal = tasks * milliseconds / 1000 / workers
    figure(f"{name}.{workers}workers.seconds", elapsed, "s")
    figure(f"{name}.{workers}workers.efficiency", ideal / elapsed, "ratio")


def idle(executor, workers, seconds):
    def sample():
        by_process = {}
        for pid, cpu in executor.map(cpu_sample, range(workers * 4)):
            by_process[pid] = max(by_process.get(pid, 0), cpu)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        by_process["main"] = usage.ru_utime + usage.ru_stime
        return by_process

    before = sample()
    start = time.perf_counter()
    time.sleep(seconds)
    elapsed = time.perf_counter() - start
    after = sample()
    worst = 0.0
    for key, cpu in after.items():
        if key in before:
            percent = (cpu - before[key]) / elapsed * 100
            worst = max(worst, percent)
    figure("idle.worst", worst, "%core")


def memory(executor, count):
    results = list(executor.map(increment, range(count), chunksize=max(1, count // 16)))
    assert results[-1] == count
    figure("memory.map", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")


def run(executor, workers, argv):
    """Runs the workload named by argv[0] with the arguments after it."""
    name = argv[0]
    numbers = [float(a) if "." in a else int(a) if a.isdigit() else a for a in argv[1:]]
    if name == "latency":
        latency(executor, *numbers)
    elif name == "throughput":
        throughput(executor, *numbers)
    elif name == "map":
        map_throughput(executor, numbers[0], numbers[1:])
    elif name == "bandwidth":
        bandwidth(executor, *numbers)
    elif name == "scaling":
        scaling(executor, workers, *numbers)
    elif name == "idle":
        idle(executor, workers, *numbers)
    elif name == "memory":
        memory(executor, *numbers)
    else:
        sys.exit(f"unknown workload {name}")
