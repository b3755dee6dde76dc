import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The monitor thread's state, which only that thread touches.
///
/// It sleeps in `epoll_wait` and reads only the lifelines and pipes that have something, so an
/// event costs the same however many supervisors or workers there are; heartbeats go out to every
/// lifeline once per interval, and silence is checked twice per interval.
final class MonitorLoop {
    /// A connection that has not yet shown the job's secret.
    private struct Stranger {
        var descriptor: Int32
        var received: [UInt8] = []
        var deadline: UInt64
    }

    /// A supervisor's connection.
    private struct Lifeline {
        var descriptor: Int32
        var received: [UInt8] = []
        var lastHeard: UInt64
        /// The supervisor is stopping: its closing is no news.
        var settled = false
        /// The worker whose output the next output record carries.
        var speaker: Int?
        /// Every worker it carried output for, whose unfinished lines end with it.
        var speakers: Set<Int> = []
    }

    /// A pipe of a worker this process started: its standard output or error.
    private struct OutputPipe {
        var descriptor: Int32
        var rank: Int
        var stream: Int32
    }

    private let listeners: [Int32]
    private let secret: LifelineSecret
    private let settings: LifelineSettings
    private let control: MonitorControl
    private let report: @Sendable (LifelineEvent) -> Void

    private var strangers: [Stranger] = []
    private var lifelines: [Int: Lifeline] = [:]
    /// Pipes by descriptor.
    private var pipes: [Int32: OutputPipe] = [:]
    /// Where every descriptor above is watched; -1 if it could not be made (every descriptor is
    /// then read on every pass, after a short sleep).
    private let epoll: Int32
    /// Ranks told where to connect that have not yet, with their deadlines.
    private var expected: [Int: UInt64] = [:]
    private var stopping = false
    private var nextHeartbeat: UInt64 = 0
    private var nextSilenceCheck: UInt64 = 0
    /// What workers' tasks wrote, being put back into lines.
    private var output = OutputLines()

    /// A stranger must show the secret within this long.
    private static let helloNanos: UInt64 = 2_000_000_000
    /// Unproven connections kept at once beyond the supervisors still expected; past this the
    /// oldest is dropped.
    private static let maximumStrangers = 64

    init(
        listeners: [Int32], secret: LifelineSecret, settings: LifelineSettings, control: MonitorControl,
        report: @escaping @Sendable (LifelineEvent) -> Void
    ) {
        self.listeners = listeners
        self.secret = secret
        self.settings = settings
        self.control = control
        self.report = report
        epoll = clinux_epoll_create()
        watch(control.wakeDescriptor, .wake, 0)
        for (index, listener) in listeners.enumerated() { watch(listener, .listener, UInt64(index)) }
    }

    /// What a token from epoll names: its kind in the top byte, an id (a rank or a descriptor)
    /// below.
    private enum Watched: UInt64 {
        case wake = 0
        case listener
        case stranger
        case lifeline
        case pipe
    }

    private func watch(_ descriptor: Int32, _ kind: Watched, _ id: UInt64) {
        guard epoll >= 0 else { return }
        _ = clinux_epoll_watch(epoll, descriptor, kind.rawValue << 56 | id)
    }

    /// Stops watching a descriptor and closes it.
    private func closeWatched(_ descriptor: Int32) {
        if epoll >= 0 { _ = clinux_epoll_forget(epoll, descriptor) }
        close(descriptor)
    }

    func run() {
        // The tokens of what became readable; nil: look at everything (the first pass, or no epoll).
        var ready: [UInt64]? = nil
        while true {
            // Commands first, after every wake-up: rank 0 says which rank to expect before it
            // tells that worker where to connect, so a hello never arrives before its `expect`.
            for command in control.take() {
                switch command {
                case .expect(let rank, let host):
                    expected[rank] = monotonicNanos() &+ settings.connectNanos
                    output.setHost(host, rank: rank)
                case .forget(let rank): drop(rank)
                case .name(let rank, let host): output.setHost(host, rank: rank)
                case .adoptOutput(let rank, let descriptor, let errors):
                    for (pipe, stream) in [(descriptor, Int32(1)), (errors, 2)] {
                        pipes[pipe] = OutputPipe(descriptor: pipe, rank: rank, stream: stream)
                        watch(pipe, .pipe, UInt64(UInt32(bitPattern: pipe)))
                    }
                case .stopping: stopping = true
                case .shutdown:
                    for rank in Array(lifelines.keys) { drop(rank) }
                    for descriptor in Array(pipes.keys) { readPipe(descriptor) }
                    for pipe in pipes.values { closePipe(pipe) }
                    for stranger in strangers { close(stranger.descriptor) }
                    for listener in listeners { close(listener) }
                    if epoll >= 0 { close(epoll) }
                    return
                }
            }
            handle(ready)
            // Strangers are few (64 at most) and have deadlines: all are looked at on every pass.
            readStrangers()
            keepTime()
            ready = waitForActivity()
        }
    }

    /// Reads what became readable: only those descriptors, or all of them when `ready` is nil.
    private func handle(_ ready: [UInt64]?) {
        guard let ready else {
            acceptNewcomers()
            for rank in Array(lifelines.keys) { readLifeline(rank) }
            for descriptor in Array(pipes.keys) { readPipe(descriptor) }
            return
        }
        for token in ready {
            let id = token & 0x00ff_ffff_ffff_ffff
            switch Watched(rawValue: token >> 56) {
            case .listener: acceptNewcomers()
            case .lifeline: readLifeline(Int(id))
            case .pipe: readPipe(Int32(bitPattern: UInt32(truncatingIfNeeded: id)))
            // Commands are taken and strangers read on every pass.
            case .wake, .stranger, nil: break
            }
        }
    }

    /// Sleeps until a descriptor is readable, a command arrives, or it is time to send heartbeats
    /// or check for silence; returns the tokens of what is readable.
    private func waitForActivity() -> [UInt64]? {
        let timeoutMilliseconds = max(Int32(clamping: settings.heartbeatNanos / 2 / 1_000_000), 1)
        guard epoll >= 0 else {
            sleepNanos(UInt64(timeoutMilliseconds) * 1_000_000 / 10)
            return nil
        }
        var tokens = [UInt64](repeating: 0, count: 256)
        let count = clinux_epoll_wait(epoll, &tokens, Int32(tokens.count), timeoutMilliseconds)
        return count > 0 ? Array(tokens.prefix(Int(count))) : []
    }

    private func acceptNewcomers() {
        for listener in listeners {
            while let descriptor = TCPSocket.accept(from: listener) {
                // Supervisors still expected may all be connecting at once (257 processes starting
                // on a few cores send their hellos late): room for each of them, and 64 more.
                if strangers.count >= Self.maximumStrangers + expected.count {
                    closeWatched(strangers.removeFirst().descriptor)
                }
                strangers.append(Stranger(descriptor: descriptor, deadline: monotonicNanos() &+ Self.helloNanos))
                watch(descriptor, .stranger, UInt64(UInt32(bitPattern: descriptor)))
            }
        }
    }

    /// Reads what strangers sent; promotes those with a correct hello, drops the rest.
    private func readStrangers() {
        var index = 0
        while index < strangers.count {
            var stranger = strangers[index]
            let wanted = LifelineHello.size - stranger.received.count
            // A complete hello waiting for its rank's `expect` reads nothing more: a read of no
            // bytes would look like a closed connection.
            let outcome =
                wanted > 0
                ? TCPSocket.readAvailable(stranger.descriptor, into: &stranger.received, limit: wanted) : .nothingYet
            strangers[index] = stranger
            let keep: Bool
            switch outcome {
            case .closed: keep = false
            case .nothingYet, .read:
                if !LifelineHello.isPlausiblePrefix(stranger.received) {
                    keep = false
                } else if stranger.received.count == LifelineHello.size {
                    switch admit(stranger) {
                    case .admitted:
                        strangers.remove(at: index)
                        continue
                    case .refused: keep = false
                    case .tooEarly: keep = monotonicNanos() < stranger.deadline
                    }
                } else {
                    keep = monotonicNanos() < stranger.deadline
                }
            }
            if keep {
                index += 1
            } else {
                closeWatched(stranger.descriptor)
                strangers.remove(at: index)
            }
        }
    }

    private enum Admission {
        case admitted
        case refused
        /// This job's secret, but the executor's `expect` for the rank is not taken yet: the
        /// executor sends it before the worker learns where to connect, but a quick worker can
        /// still beat this thread to it. The next pass, which takes commands first, decides.
        case tooEarly
    }

    /// Keeps a connection whose hello carries the secret and the rank of a worker expected now.
    private func admit(_ stranger: Stranger) -> Admission {
        guard let hello = LifelineHello.read(stranger.received, secret: secret) else { return .refused }
        guard expected.removeValue(forKey: hello.rank) != nil else { return .tooEarly }
        lifelines[hello.rank] = Lifeline(descriptor: stranger.descriptor, lastHeard: monotonicNanos())
        if epoll >= 0 { _ = clinux_epoll_forget(epoll, stranger.descriptor) }
        watch(stranger.descriptor, .lifeline, UInt64(hello.rank))
        control.openLifelines.add(1, ordering: .releasing)
        report(.connected(rank: hello.rank))
        return .admitted
    }

    /// Reads what a supervisor sent on its lifeline.
    private func readLifeline(_ rank: Int) {
        guard var lifeline = lifelines[rank] else { return }
        let outcome = TCPSocket.readAvailable(lifeline.descriptor, into: &lifeline.received, limit: 1 << 16)
        var consumed = 0
        while lifeline.received.count - consumed >= LifelineRecord.size {
            let record = LifelineRecord.read(lifeline.received, at: consumed)
            if let record, record.kind == .output {
                // A record with bytes after it; wait until all of them are here.
                let value = UInt32(bitPattern: record.value)
                let count = Int(value & 0x7fff_ffff)
                let start = consumed + LifelineRecord.size
                guard lifeline.received.count - start >= count else { break }
                let speaker = lifeline.speaker ?? rank
                lifeline.speakers.insert(speaker)
                output.append(
                    lifeline.received[start..<start + count], rank: speaker, stream: value >> 31 == 1 ? 2 : 1)
                consumed = start + count
                lifeline.lastHeard = monotonicNanos()
                continue
            }
            consumed += LifelineRecord.size
            lifeline.lastHeard = monotonicNanos()
            switch record?.kind {
            case .speaker: lifeline.speaker = record.map { Int($0.value) }
            case .stopping: lifeline.settled = true
            case .nudge: report(.nudged(rank: rank))
            case .heartbeat, .output, nil: break
            }
        }
        lifeline.received.removeFirst(consumed)
        lifelines[rank] = lifeline
        if case .closed = outcome {
            if !lifeline.settled {
                control.unannouncedClosures.add(1, ordering: .relaxed)
                if !stopping { report(.lost(rank: rank, .vanished)) }
            }
            drop(rank)
        }
    }

    /// Writes what a worker this process started has printed; a pipe that closes (its worker
    /// ended, and all it wrote is read) ends that worker's unfinished line once its other pipe has
    /// closed too.
    private func readPipe(_ descriptor: Int32) {
        guard let pipe = pipes[descriptor] else { return }
        var received: [UInt8] = []
        let outcome = TCPSocket.readAvailable(pipe.descriptor, into: &received, limit: 1 << 16)
        if !received.isEmpty { output.append(received[...], rank: pipe.rank, stream: pipe.stream) }
        guard case .closed = outcome else { return }
        closePipe(pipe)
        pipes[descriptor] = nil
        if !pipes.values.contains(where: { $0.rank == pipe.rank }) { output.finish(rank: pipe.rank) }
    }

    private func closePipe(_ pipe: OutputPipe) {
        closeWatched(pipe.descriptor)
        control.openPipes.subtract(1, ordering: .releasing)
    }

    /// Sends heartbeats when due, and gives up on silent lifelines and on supervisors that never
    /// connected.
    private func keepTime() {
        let now = monotonicNanos()
        if now >= nextHeartbeat {
            for lifeline in lifelines.values {
                TCPSocket.send(LifelineRecord(kind: .heartbeat), on: lifeline.descriptor)
            }
            nextHeartbeat = now &+ settings.heartbeatNanos
        }
        guard !stopping, now >= nextSilenceCheck else { return }
        nextSilenceCheck = now &+ settings.heartbeatNanos / 2
        for (rank, lifeline) in lifelines where !lifeline.settled && now &- lifeline.lastHeard > settings.silenceNanos {
            report(.lost(rank: rank, .silent(nanos: now &- lifeline.lastHeard)))
            drop(rank)
        }
        for (rank, deadline) in expected where now >= deadline {
            expected[rank] = nil
            report(.lost(rank: rank, .neverConnected(nanos: settings.connectNanos)))
        }
    }

    private func drop(_ rank: Int) {
        expected[rank] = nil
        guard let lifeline = lifelines.removeValue(forKey: rank) else { return }
        for speaker in lifeline.speakers { output.finish(rank: speaker) }
        closeWatched(lifeline.descriptor)
        control.openLifelines.subtract(1, ordering: .releasing)
    }
}
