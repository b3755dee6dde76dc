/// How the scheduler ends the job's workers.
extension Scheduler {
    /// The hosts the pool lost contact with (rather than a process on them): their launcher
    /// daemons are out of reach too.
    var unreachableHosts: [String] {
        var hosts: [String] = []
        for loss in workers.losses {
            if case .silent = loss.end, !hosts.contains(loss.host) { hosts.append(loss.host) }
        }
        return hosts
    }

    /// Stops every worker still alive; returns whether the job can end cleanly (see
    /// ``WorkerTransport/stopWorkers(interrupted:for:)``).
    func stopWorkers() -> Bool { transport.stopWorkers(interrupted: interruption != nil, for: self) }
}
