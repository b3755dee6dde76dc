import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A supervisor's end of its lifeline to rank 0: it connects and shows the job's secret, beats
/// every heartbeat interval on a thread of its own, carries its workers' output, and ends the
/// process when rank 0 is gone or gives it up, so no supervisor (and, through the parent-death
/// signal, no worker) outlives its job.
final class LifelineLink: Sendable {
    private let descriptor: Int32
    private let stopping = Atomic<Bool>(false)
    /// Held while records go out, so a heartbeat never lands inside forwarded output.
    private let sending = Mutex(())

    /// Connects to rank 0 and says who this is; exits the process when it cannot, since a
    /// supervisor rank 0 cannot watch must not take tasks.
    static func open(_ welcome: Welcome, host: String) -> LifelineLink {
        let descriptor: Int32
        do {
            descriptor = try TCPSocket.connect(to: welcome.endpoint, timeoutNanos: welcome.settings.connectNanos / 2)
        } catch {
            printToStandardError(
                "SwiftPool rank \(welcome.rank) (\(host)): cannot connect its lifeline to rank 0 at "
                    + "\(welcome.endpoint): \(error); exiting")
            exitNow(code: 1)
        }
        let hello = LifelineHello(rank: welcome.rank, processID: getpid()).encoded(secret: welcome.secret)
        guard hello.withUnsafeBytes({ TCPSocket.send($0, on: descriptor) }) else {
            printToStandardError("SwiftPool rank \(welcome.rank) (\(host)): rank 0 refused its lifeline; exiting")
            exitNow(code: 1)
        }
        let link = LifelineLink(descriptor: descriptor)
        let rank = welcome.rank
        let settings = welcome.settings
        DedicatedThread.start(stackBytes: 256 * 1024) { [link] in
            link.watch(rank: rank, host: host, settings: settings)
        }
        .detach()
        return link
    }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Rank 0 asked this supervisor to stop: from now on a closed lifeline is expected.
    func announceStop() {
        stopping.store(true, ordering: .releasing)
        sending.withLock { _ in _ = TCPSocket.send(LifelineRecord(kind: .stopping), on: descriptor) }
    }

    /// Wakes rank 0's scheduler to read what this supervisor just sent it over MPI.
    func nudge() {
        sending.withLock { _ in _ = TCPSocket.send(LifelineRecord(kind: .nudge), on: descriptor) }
    }

    /// Sends what the worker of `rank` wrote to `stream` (1 or 2), waiting while the connection is
    /// full, so a task that writes faster than rank 0 prints is slowed rather than losing output.
    /// False when the connection is gone.
    func sendOutput(rank: Int, stream: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let speaker = LifelineRecord(kind: .speaker, value: Int32(truncatingIfNeeded: rank))
        let output = LifelineRecord(
            kind: .output, value: Int32(bitPattern: UInt32(bytes.count) | (stream == 2 ? 1 << 31 : 0)))
        return sending.withLock { _ in
            withUnsafeBytes(of: speaker.bytes) { TCPSocket.sendAll($0, on: descriptor) }
                && withUnsafeBytes(of: output.bytes) { TCPSocket.sendAll($0, on: descriptor) }
                && TCPSocket.sendAll(bytes, on: descriptor)
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
            if received.count >= LifelineRecord.size {
                received.removeFirst(received.count - received.count % LifelineRecord.size)
                lastHeard = monotonicNanos()
            }
            if stopping.load(ordering: .acquiring) { return }
            // Rank 0 is gone, or has given this rank up: its tasks run elsewhere now.
            if case .closed = outcome {
                printToStandardError(
                    "SwiftPool rank \(rank) (\(host)): rank 0 closed its lifeline (it is gone, or it gave this "
                        + "rank up); exiting")
                Self.exitNow(code: 1)
            }
            let now = monotonicNanos()
            if now &- lastHeard > settings.silenceNanos {
                printToStandardError(
                    "SwiftPool rank \(rank) (\(host)): no word from rank 0 for \(WorkerEnd.seconds(now &- lastHeard)) s; "
                        + "exiting")
                Self.exitNow(code: 1)
            }
            if now >= nextBeat {
                sending.withLock { _ in _ = TCPSocket.send(LifelineRecord(kind: .heartbeat), on: descriptor) }
                nextBeat = now &+ settings.heartbeatNanos
            }
        }
    }

    /// Ends the process at once: nothing of the pool is worth finishing. Its workers end with it
    /// (their parent-death signal).
    static func exitNow(code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }
}
