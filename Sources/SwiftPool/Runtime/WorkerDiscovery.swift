/// Finds this job's workers, or starts them, and returns the link the pool talks on: rank 0 is
/// the executor, every other rank a worker. Runs on the MPI thread right after `MPI_Init_thread`.
enum WorkerDiscovery {
    static func poolLink(requestedWorkers: Int?) throws -> PoolLink {
        if let parent = try Communicator.parent() {
            // A copy spawned by a singleton: join the parent's side as the high ranks.
            let merged = try parent.mergeIntercommunicator(high: true)
            return PoolLink(communicator: try merged.duplicate(), spawnLinks: [merged, parent])
        }
        let worldSize = try Communicator.world.size()
        let mode = try LaunchPlan.mode()
        if worldSize == 1 && LaunchPlan.shouldSpawn(mode: mode) {
            let children = try spawnWorkers(count: requestedWorkers ?? LaunchPlan.defaultSpawnCount)
            let merged = try children.mergeIntercommunicator(high: false)
            return PoolLink(communicator: try merged.duplicate(), spawnLinks: [merged, children])
        }
        if mode == .spawn {
            throw PoolError(
                .invalidArgument,
                "SWIFTPOOL_LAUNCH=spawn needs a program started as one process, but \(worldSize) were "
                    + "started; under mpirun -np \(worldSize) the other ranks already are the workers")
        }
        return PoolLink(communicator: try Communicator.world.duplicate(), spawnLinks: [])
    }

    private static func spawnWorkers(count: Int) throws -> Communicator {
        try Communicator.selfOnly.returnErrors()
        do {
            return try Communicator.selfOnly.spawn(
                command: BuildFingerprint.executablePath, arguments: Array(CommandLine.arguments.dropFirst()),
                count: count)
        } catch {
            throw PoolError(
                .spawnFailed,
                "could not start \(count) worker\(count == 1 ? "" : "s") with MPI_Comm_spawn (\(error)). If Open MPI "
                    + "reported too few slots, allow more processes than cores with "
                    + "OMPI_MCA_rmaps_base_oversubscribe=1 or ask for fewer with maxWorkers; or start the program "
                    + "under mpirun -np N instead")
        }
    }
}

/// The communicator a pool talks on, and, in spawn mode, the communicators that connect the
/// spawning process with its workers.
struct PoolLink {
    /// A private duplicate: the program's own MPI traffic cannot match the pool's.
    var communicator: Communicator
    /// The merged communicator and the intercommunicator of a spawn, in that order; empty in
    /// world mode.
    var spawnLinks: [Communicator]

    /// Whether the workers were spawned (rather than started by a launcher).
    var isSpawned: Bool { !spawnLinks.isEmpty }

    /// Releases the communicators before `MPI_Finalize`. Spawned processes belong to different
    /// MPI jobs, whose finalizations do not wait for each other; `MPI_Comm_disconnect` of the
    /// intercommunicator is collective and completes all traffic first, so neither side closes its
    /// connections while the other still uses them. (Disconnecting the merged communicators
    /// instead hangs in Open MPI 4.1; freeing them is enough.)
    func close() {
        try? communicator.free()
        for link in spawnLinks.dropLast() { try? link.free() }
        try? spawnLinks.last?.disconnect()
    }
}
