// SwiftPool's benchmarks, one workload per run, printing `FIGURE <name> <value> <unit>` lines.
// Benchmarks/run.py runs them beside the peers (mpi4py.futures, ProcessPoolExecutor, raw MPI);
// by hand:
//
//   swift build -c release --product SwiftPoolBench
//   mpirun --allow-run-as-root --oversubscribe -np 2 .build/release/SwiftPoolBench latency
//   mpirun --allow-run-as-root --oversubscribe -np 3 .build/release/SwiftPoolBench idle
import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

@main
struct SwiftPoolBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure SwiftPool under mpirun.",
        subcommands: [
            Latency.self, Throughput.self, MapThroughput.self, Bandwidth.self, Scaling.self, Idle.self, Memory.self,
            Startup.self, Recovery.self, Sharing.self, SupervisorCPU.self, Recycling.self, Simulate.self,
            Footprint.self,
        ])
}
