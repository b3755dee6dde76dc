import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes workers' lines to rank 0's standard output and error on a thread of its own, so the
/// lifeline monitor never waits on a terminal or pipe that is slow or paused (`prog | less`): it
/// must keep reading heartbeats and output pipes. Lines wait here, in order, meanwhile.
final class StandardStreamWriter: Sendable {
    static let shared = StandardStreamWriter()

    private let queue = Mutex<[(descriptor: Int32, bytes: [UInt8])]>([])
    private let ready = DispatchSemaphore(value: 0)

    private init() {
        DedicatedThread.start(stackBytes: 256 * 1024) { [self] in run() }.detach()
    }

    /// Queues one whole line (or part of a very long one) for `descriptor`.
    func write(_ bytes: [UInt8], to descriptor: Int32) {
        queue.withLock { $0.append((descriptor, bytes)) }
        ready.signal()
    }

    /// Waits, up to `timeoutNanos`, until every queued line is written: before the process exits.
    func drain(timeoutNanos: UInt64) {
        let deadline = monotonicNanos() &+ timeoutNanos
        while queue.withLock({ !$0.isEmpty }) && monotonicNanos() < deadline { sleepNanos(1_000_000) }
    }

    private func run() {
        while true {
            ready.wait()
            guard let (descriptor, bytes) = queue.withLock({ $0.first }) else { continue }
            bytes.withUnsafeBytes { line in
                var written = 0
                while written < line.count {
                    let count = Glibc.write(descriptor, line.baseAddress! + written, line.count - written)
                    if count > 0 {
                        written += count
                    } else if count < 0 && errno == EINTR {
                        continue
                    } else {
                        return
                    }
                }
            }
            // Removed only once written, so `drain` also waits for the line being written.
            queue.withLock { _ = $0.removeFirst() }
        }
    }
}
