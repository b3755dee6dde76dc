/// Spawns workers after start-up, in the plain start, to replace those the pool lost: copies of
/// this executable with its arguments, which join as a communicator of their own.
struct WorkerRecruiter {
    var command: String
    var arguments: [String]

    /// New workers, as ranks 1... of a new communicator with this process as rank 0.
    struct Recruits {
        var communicator: Communicator
        var peers: [Peer]
    }

    /// Spawns `count` workers and checks they run this build. Blocks the MPI thread while Open MPI
    /// starts them (a few hundred milliseconds); the workers already running keep their queues.
    func recruit(count: Int) throws -> Recruits {
        let children = try Communicator.selfOnly.spawn(command: command, arguments: arguments, count: count)
        let merged = try children.mergeIntercommunicator(high: false)
        let communicator = try merged.duplicate()
        switch Peer.survey(communicator, rank: 0, host: currentHostName()) {
        case .success(let peers): return Recruits(communicator: communicator, peers: peers)
        case .failure(let error): throw error
        }
    }
}
