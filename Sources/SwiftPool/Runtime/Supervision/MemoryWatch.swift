import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Holds the worker processes a parent started to a resident-memory limit (`workerMemoryLimit`):
/// one thread of the parent reads each worker's resident size from `/proc/PID/statm` every
/// ``period`` and SIGKILLs a worker past the limit, remembering why, so that the worker's end is
/// reported as the limit and not as a bare SIGKILL.
///
/// The parent watches, not the worker: a worker past its limit may be stuck in an allocation, or
/// in C code that never returns to Swift. Nothing stricter is set in the kernel (see the
/// README's "Worker limits"): `RLIMIT_AS` counts address space Swift reserves and never touches
/// (thread stacks, allocator arenas), and a cgroup of its own is not a job's to make on most
/// clusters.
final class MemoryWatch: Sendable {
    /// How often each worker's resident size is read: well inside the 100 ms the pool promises.
    static let period: UInt64 = 20_000_000

    private struct State {
        var limit: UInt64?
        var watched: Set<pid_t> = []
        /// Workers this watch ended, with the resident size it saw and the limit then.
        var ended: [pid_t: (resident: UInt64, limit: UInt64)] = [:]
        var threadStarted = false
    }

    private let state = Mutex(State())

    /// Holds every watched worker (and those started later) to `bytes` resident; nil for none.
    func setLimit(_ bytes: UInt64?) {
        let startThread = state.withLock { state in
            state.limit = bytes
            defer { if bytes != nil { state.threadStarted = true } }
            return bytes != nil && !state.threadStarted
        }
        if startThread { DedicatedThread.start(stackBytes: 64 * 1024) { [self] in watchForever() }.detach() }
    }

    /// Starts watching a worker just started.
    func watch(_ processID: pid_t) { state.withLock { _ = $0.watched.insert(processID) } }

    /// Stops watching a worker that ended (and was reaped); how it ended, when this watch ended it.
    func forget(_ processID: pid_t) -> WorkerEnd? {
        state.withLock { state in
            state.watched.remove(processID)
            return state.ended.removeValue(forKey: processID).map {
                .passedMemoryLimit(resident: $0.resident, limit: $0.limit)
            }
        }
    }

    private func watchForever() {
        let pageBytes = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        while true {
            sleepNanos(Self.period)
            let (limit, processes) = state.withLock { ($0.limit, $0.watched.subtracting($0.ended.keys)) }
            guard let limit else { continue }
            for processID in processes {
                guard let pages = Self.residentPages(of: processID), pages * pageBytes > limit else { continue }
                let resident = pages * pageBytes
                // Recorded before the kill, so the reaper that sees the end finds the reason.
                let stillWatched = state.withLock { state in
                    guard state.watched.contains(processID) else { return false }
                    state.ended[processID] = (resident, limit)
                    return true
                }
                if stillWatched { kill(processID, SIGKILL) }
            }
        }
    }

    /// The second field of `/proc/PID/statm`: resident pages. Nil once the process is gone.
    static func residentPages(of processID: pid_t) -> UInt64? {
        let descriptor = open("/proc/\(processID)/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1 else { return nil }
        return UInt64(String(decoding: fields[1], as: UTF8.self))
    }
}
