/// Runs this program's pools over simulated workers instead of processes, to measure rank 0's
/// scheduler at worker counts no machine at hand holds (`SwiftPoolBench simulate`).
///
/// Each simulated worker answers a task a fixed time after it could start it, one task after
/// another, driven by a timer; it has no thread or process. The answer is the task's real result,
/// so `map` and `submit` behave as with real workers. Not for programs: for benchmarks and tests
/// of SwiftPool itself.
@_spi(Simulation)
public enum PoolSimulation {
    /// A simulation started by ``start(workers:taskMicroseconds:)``.
    public struct Handle: Sendable {
        let control: SimulationControl

        /// CPU seconds rank 0's scheduler thread spent building the simulated workers' answers:
        /// the workers' own work, to subtract from the process's CPU time.
        public var workerCPUSeconds: Double {
            Double(control.workerCPUNanos.load(ordering: .relaxed)) / 1e9
        }

        /// Kills `count` workers that hold tasks, as SIGKILL would: their tasks run again elsewhere
        /// and the workers are replaced.
        public func kill(workers count: Int) { control.kill(workers: count) }
    }

    /// Starts the simulated workers; call it before the program's first pool.
    ///
    /// - Throws: `PoolError` `invalidArgument` when a pool has started already or `workers` is
    ///   below 1.
    public static func start(workers: Int, taskMicroseconds: Int) throws -> Handle {
        let nanos = UInt64(max(0, taskMicroseconds)) * 1000
        return Handle(control: try PoolRuntime.startSimulation(workers: workers, taskNanos: nanos))
    }
}
