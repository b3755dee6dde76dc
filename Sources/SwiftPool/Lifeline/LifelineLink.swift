import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A worker's end of its lifeline to rank 0: it connects and shows the job's secret, beats every
/// heartbeat interval on a thread of its own (tasks may run for hours on the MPI thread), and ends
/// the process when rank 0 is gone or asks it to, so no worker outlives its job.
final class LifelineLink: Sendable {
    private let descriptor: Int32
    private let stopping = Atomic<Bool>(false)
    /// Held while a record goes out, so a heartbeat never lands inside forwarded output.
    private let sending = Mutex(())

    /// Connects to rank 0 and says who this is; exits the process when it cannot, since a worker
    /// rank 0 cannot watch must not take tasks.
    static func open(_ welcome: Welcome, host: String) -> LifelineLink {
        let descriptor: Int32
        do {
            descriptor = try TCPSocket.connect(to: welcome.endpoint, timeoutNanos: welcome.settings.connectNanos / 2)
        } catch {
            printToStandardError(
                "SwiftPool worker rank \(welcome.rank) (\(host)): cannot connect its lifeline to rank 0 at "
                    + "\(welcome.endpoint): \(error); exiting")
            exitNow(code: 1)
        }
        let hello = LifelineHello(rank: welcome.rank, processID: getpid()).encoded(secret: welcome.secret)
        guard hello.withUnsafeBytes({ TCPSocket.send($0, on: descriptor) }) else {
            printToStandardError(
                "SwiftPool worker rank \(welcome.rank) (\(host)): rank 0 refused its lifeline; exiting")
            exitNow(code: 1)
        }
        let link = LifelineLink(descriptor: descriptor)
        current.withLock { $0 = link }
        DeathReporter.install(descriptor: descriptor)
        OutputForwarder.start { [link] stream, bytes in link.sendOutput(stream: stream, bytes) }
        let rank = welcome.rank
        let settings = welcome.settings
        DedicatedThread.start(stackBytes: 256 * 1024) { [link] in link.watch(rank: rank, host: host, settings: settings)
        }
        .detach()
        return link
    }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// This worker's lifeline, once open.
    private static let current = Mutex<LifelineLink?>(nil)

    /// Sends an encoded log record to rank 0; false when this process has no lifeline.
    static func send(log bytes: WireBuffer) -> Bool {
        guard let link = current.withLock({ $0 }) else { return false }
        return withExtendedLifetime(bytes) { link.sendRecord(kind: .log, value: Int32(bytes.count), bytes.bytes) }
    }

    /// Rank 0 asked this worker to stop: from now on a closed lifeline is expected.
    func announceStop() {
        OutputForwarder.finish()
        stopping.store(true, ordering: .releasing)
        DeathReporter.disarm()
        sending.withLock { _ in _ = TCPSocket.send(LifelineRecord(kind: .stopping), on: descriptor) }
    }

    /// Sends what a task wrote to `stream` (1 or 2), waiting while the connection is full, so a
    /// task that writes faster than rank 0 prints is slowed rather than losing output. False when
    /// the connection is gone.
    func sendOutput(stream: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        sendRecord(kind: .output, value: Int32(bitPattern: UInt32(bytes.count) | (stream == 2 ? 1 << 31 : 0)), bytes)
    }

    /// Sends a record followed by its bytes, whole, however full the connection is.
    private func sendRecord(kind: LifelineRecord.Kind, value: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        sending.withLock { _ in
            withUnsafeBytes(of: LifelineRecord(kind: kind, value: value).bytes) {
                TCPSocket.sendAll($0, on: descriptor)
            } && TCPSocket.sendAll(bytes, on: descriptor)
        }
    }

    private func watch(rank: Int, host: String, settings: LifelineSettings) {
        var received: [UInt8] = []
        var lastHeard = monotonicNanos()
        var nextBeat: UInt64 = 0
        while true {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, Int32(clamping: max(settings.heartbeatNanos / 2_000_000, 1)))
            let outcome = TCPSocket.readAvailable(descriptor, into: &received)
            while received.count >= LifelineRecord.size {
                let record = LifelineRecord.read(received, at: 0)
                received.removeFirst(LifelineRecord.size)
                lastHeard = monotonicNanos()
                if record?.kind == .terminate && !stopping.load(ordering: .acquiring) {
                    printToStandardError(
                        "SwiftPool worker rank \(rank) (\(host)): its task ran past the pool's taskTimeout; "
                            + "rank 0 ended this process")
                    Self.exitNow(code: 1)
                }
            }
            if stopping.load(ordering: .acquiring) { return }
            // Rank 0 is gone, or has given this worker up: its tasks run elsewhere now.
            if case .closed = outcome {
                printToStandardError(
                    "SwiftPool worker rank \(rank) (\(host)): rank 0 closed its lifeline (it is gone, or it gave "
                        + "this worker up); exiting")
                Self.exitNow(code: 1)
            }
            let now = monotonicNanos()
            if now &- lastHeard > settings.silenceNanos {
                printToStandardError(
                    "SwiftPool worker rank \(rank) (\(host)): no word from rank 0 for "
                        + "\(WorkerEnd.seconds(now &- lastHeard)) s; exiting")
                Self.exitNow(code: 1)
            }
            if now >= nextBeat {
                sending.withLock { _ in _ = TCPSocket.send(LifelineRecord(kind: .heartbeat), on: descriptor) }
                nextBeat = now &+ settings.heartbeatNanos
            }
        }
    }

    /// Ends the process at once: nothing of the pool is worth finishing, and exit handlers would
    /// report an exit that rank 0 already knows about.
    static func exitNow(code: Int32) -> Never {
        DeathReporter.disarm()
        OutputForwarder.finish(timeoutNanos: 500_000_000)
        fflush(nil)
        _exit(code)
    }
}
