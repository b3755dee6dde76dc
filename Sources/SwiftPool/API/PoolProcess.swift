import Synchronization

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

    /// The name of the host this process runs on.
    public static var hostName: String { currentHostName() }

    static func setRank(_ rank: Int) { knownRank.store(rank, ordering: .relaxed) }
}
