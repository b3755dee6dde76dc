import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where the calling code runs, for a task that wants to say which worker ran it
/// (`MPI.COMM_WORLD.Get_rank()` and `MPI.Get_processor_name()` in an mpi4py task).
public enum PoolProcess {
    private static let knownRank = Atomic<Int>(-1)

    /// This process's rank among the pool's processes: 0 for the executor, 1 and up for workers,
    /// nil before the first pool starts.
    public static var rank: Int? {
        let value = knownRank.load(ordering: .relaxed)
        return value < 0 ? nil : value
    }

    /// Whether this process is one that will never run the program's body: a worker the plain
    /// start spawned, a rank other than 0 under a launcher, or a worker such a rank supervises.
    /// It is right from the first line of `main`, before any pool, on every launch path: it is
    /// read from how the process was started (the descriptor a spawned worker inherits, or the
    /// launcher's rank variables).
    ///
    /// Code before the first pool runs in **every** process: each worker is a copy of the program,
    /// started from `main`. Guard what only the program should do there, as Python guards a spawn
    /// start with `if __name__ == "__main__":`, or put it in the pool's body:
    ///
    /// ```swift
    /// if !PoolProcess.isWorker { print(banner) }
    /// try MPIPoolExecutor.run { pool in ... }
    /// ```
    public static let isWorker: Bool = {
        if PoolSettings.welcomeDescriptor != nil { return true }
        for variable in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"] {
            if let value = getenv(variable).map({ String(cString: $0) }), let rank = Int(value) { return rank != 0 }
        }
        return false
    }()

    /// The name of the host this process runs on.
    public static var hostName: String { currentHostName() }

    static func setRank(_ rank: Int) { knownRank.store(rank, ordering: .relaxed) }

    /// A logger for code in tasks, whose records reach rank 0's logger (the first pool's
    /// `logger`) with `rank` and `host` metadata, like Dask's `forward_logging` and Ray's
    /// `log_to_driver`. Its level is `info` unless set otherwise; rank 0's logger filters again.
    ///
    /// ```swift
    /// struct Fit: RemoteFunction {
    ///     func callAsFunction(_ sample: Sample) -> Model {
    ///         let log = PoolProcess.logger(label: "fit")
    ///         log.info("fitting", metadata: ["size": "\(sample.count)"])
    ///         ...
    ///     }
    /// }
    /// ```
    ///
    /// On rank 0 (tasks run in-process, or code outside tasks) it logs to rank 0's logger directly.
    public static func logger(label: String) -> Logger {
        guard let rank, rank > 0 else {
            var logger = RuntimeLog.logger
            logger[metadataKey: "label"] = .string(label)
            logger[metadataKey: "rank"] = "0"
            logger[metadataKey: "host"] = .string(hostName)
            return logger
        }
        return Logger(label: label, factory: { ForwardingLogHandler(label: $0) })
    }
}
