import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What rank 0's lifeline monitor tells the executor.
enum LifelineEvent: Sendable {
    /// The supervisor of this rank connected its lifeline and showed the job's secret.
    case connected(rank: Int)
    /// The supervisor of this rank is gone.
    case lost(rank: Int, WorkerEnd)
    /// The supervisor of this rank sent news over MPI (a worker ready or ended).
    case nudged(rank: Int)
}

/// Rank 0's side of the lifelines and of workers' output: a thread of its own that accepts each
/// supervisor's connection, exchanges heartbeats, and reports within milliseconds when a
/// connection closes, and within the silence allowed when a host goes quiet; and that writes what
/// workers print, line by line, tagged. It never touches MPI.
///
/// It listens only on the addresses the job's hosts reach rank 0 by (none in the plain start, whose
/// workers are rank 0's own children), keeps a connection only when it opens with this job's
/// secret, and drops anything else.
final class LifelineMonitor: Sendable {
    /// The listeners' endpoints, one per address rank 0 is reached at.
    let endpoints: [IPv4Endpoint]
    let secret: LifelineSecret
    let settings: LifelineSettings
    private let control: MonitorControl
    private let thread: DedicatedThread

    /// Binds a listener on each address and starts the monitor thread.
    init(addresses: [UInt32], settings: LifelineSettings, report: @escaping @Sendable (LifelineEvent) -> Void) throws {
        var opened: [Int32] = []
        var bound: [IPv4Endpoint] = []
        do {
            for address in addresses {
                // The same port on every address when it is free everywhere: easier to read in `ss`.
                let wanted = IPv4Endpoint(address: address, port: bound.first?.port ?? 0)
                let listener: (Int32, IPv4Endpoint)
                if let samePort = try? TCPSocket.listen(on: wanted) {
                    listener = samePort
                } else {
                    listener = try TCPSocket.listen(on: wanted.withPort(0))
                }
                opened.append(listener.0)
                bound.append(listener.1)
            }
        } catch {
            for descriptor in opened { close(descriptor) }
            throw PoolError(.mpiFailure, "could not open the lifeline listener that notices worker deaths: \(error)")
        }
        let listeners = opened
        let secret = LifelineSecret.random()
        let control = MonitorControl()
        self.endpoints = bound
        self.secret = secret
        self.settings = settings
        self.control = control
        self.thread = DedicatedThread.start(stackBytes: 1 << 20) {
            MonitorLoop(listeners: listeners, secret: secret, settings: settings, control: control, report: report)
                .run()
        }
    }

    /// The endpoint a worker should connect to: loopback for a worker on rank 0's own host,
    /// otherwise the listener on the address rank 0 would use to reach one of the worker's.
    func endpoint(forWorkerOn host: String, addresses: [UInt32]) -> IPv4Endpoint {
        if host == currentHostName(), let loopback = endpoints.first(where: \.isLoopback) { return loopback }
        for address in addresses {
            if let source = IPv4Endpoint.sourceAddress(toward: address),
                let endpoint = endpoints.first(where: { $0.address == source })
            {
                return endpoint
            }
        }
        return endpoints.first { !$0.isLoopback } ?? endpoints[0]
    }

    /// A supervisor has been told where to connect: it must do so within the time allowed.
    func expect(rank: Int, host: String) { control.send(.expect(rank: rank, host: host)) }
    /// Rank 0 has given this supervisor up: close its lifeline, so that it ends itself.
    func forget(rank: Int) { control.send(.forget(rank: rank)) }
    /// Names the host of the worker of `rank`, for the tag on its lines.
    func name(rank: Int, host: String) { control.send(.name(rank: rank, host: host)) }
    /// Reads the output of a worker this process started, from its pipes, until they close.
    func adoptOutput(rank: Int, output: Int32, errors: Int32) {
        control.openPipes.add(2, ordering: .releasing)
        control.send(.adoptOutput(rank: rank, output: output, errors: errors))
    }
    /// Supervisors are being stopped: lifelines that close are no longer losses.
    func beginStopping() { control.send(.stopping) }

    /// Waits until every lifeline and output pipe has closed, with everything they carried
    /// written, or the time is up; true when all did.
    func waitUntilAllClosed(timeoutNanos: UInt64) -> Bool {
        let deadline = monotonicNanos() &+ timeoutNanos
        while control.openLifelines.load(ordering: .acquiring) > 0 || control.openPipes.load(ordering: .acquiring) > 0 {
            if monotonicNanos() >= deadline { return false }
            sleepNanos(2_000_000)
        }
        return true
    }

    /// Whether a supervisor's lifeline closed without a word since the monitor started, including
    /// while supervisors were being stopped.
    var sawUnannouncedClosure: Bool { control.unannouncedClosures.load(ordering: .relaxed) > 0 }

    /// Closes every lifeline and listener, and ends the thread.
    func shutdown() {
        control.send(.shutdown)
        thread.join()
        // Workers' last lines are written before the program ends.
        StandardStreamWriter.shared.drain(timeoutNanos: 2_000_000_000)
    }
}
