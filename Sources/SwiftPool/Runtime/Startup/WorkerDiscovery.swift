/// Finds the workers of a job started by a launcher: ranks 1... of `MPI_COMM_WORLD`.
enum WorkerDiscovery {
    /// The pool's communicator: a private duplicate of the world, so the program's own MPI traffic
    /// cannot match the pool's.
    static func poolCommunicator(mode: LaunchPlan.Mode) throws -> Communicator {
        let worldSize = try Communicator.world.size()
        if mode == .spawn && worldSize > 1 {
            throw PoolError(
                .invalidArgument,
                "SWIFTPOOL_LAUNCH=spawn needs a program started as one process, but \(worldSize) were "
                    + "started; under mpirun -np \(worldSize) the other ranks already are the workers")
        }
        return try Communicator.world.duplicate()
    }
}
