#if canImport(Glibc)
    import Glibc
#endif

/// How a worker process ended, as rank 0 learned it: exactly, from its parent's `waitpid`, unless
/// its supervisor or host was lost with it.
enum WorkerEnd: Sendable, Equatable {
    /// The process exited with this status (`exit` or `_exit`).
    case exited(code: Int32)
    /// The process died of this signal.
    case signalled(Int32)
    /// Its supervisor's lifeline closed without a word: the supervisor (an MPI process) was
    /// killed, and the worker with it.
    case vanished
    /// No heartbeat from its supervisor for this long: the host or its network is gone, or the
    /// supervisor is frozen.
    case silent(nanos: UInt64)
    /// The worker did not get ready (or its supervisor did not connect) within this long.
    case neverConnected(nanos: UInt64)
    /// Rank 0 ended it because its task ran past the pool's task timeout.
    case stoppedAfterTimeout
    /// MPI could no longer reach it (a send or receive with it failed), for this reason.
    case unreachable(String)
    /// Its parent ended it for passing the pool's `workerMemoryLimit`: the resident bytes it saw,
    /// and the limit.
    case passedMemoryLimit(resident: UInt64, limit: UInt64)

    /// "was killed by SIGILL (...)", "exited with code 3", ...: completes "rank 2 on host h1 ...".
    var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signalled(let signal): "was killed by \(Self.signalName(signal))\(Self.signalHint(signal))"
        case .vanished:
            "ended without a word: its supervisor, the MPI process of its rank, was killed, or its lifeline was cut"
        case .silent(let nanos):
            "lost contact: no heartbeat for \(Self.seconds(nanos)) s (its host is down or unreachable, "
                + "or the process is frozen)"
        case .neverConnected(let nanos):
            "did not get ready within \(Self.seconds(nanos)) s (stuck in the program's code before the pool, or "
                + "its supervisor could not connect its lifeline to rank 0: a firewall between the hosts?)"
        case .stoppedAfterTimeout: "was stopped by rank 0 because its task ran past the pool's taskTimeout"
        case .unreachable(let reason): "could no longer be reached over MPI (\(reason))"
        case .passedMemoryLimit(let resident, let limit):
            "passed workerMemoryLimit (\(Self.bytes(resident)) resident, limit \(Self.bytes(limit)))"
        }
    }

    /// A size as people read one: "912 MB", "3.1 GB" (powers of ten, as `workerMemoryLimit`'s
    /// documentation writes them).
    static func bytes(_ count: UInt64) -> String {
        if count >= 1_000_000_000 {
            let tenths = (count + 50_000_000) / 100_000_000
            return "\(tenths / 10).\(tenths % 10) GB"
        }
        return "\((count + 500_000) / 1_000_000) MB"
    }

    static func seconds(_ nanos: UInt64) -> String {
        let tenths = (nanos + 50_000_000) / 100_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGPIPE: "SIGPIPE", SIGTERM: "SIGTERM", SIGSYS: "SIGSYS", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
        ]
        return names[signal] ?? "signal \(signal)"
    }

    private static func signalHint(_ signal: Int32) -> String {
        switch signal {
        case SIGILL, SIGTRAP: " (a Swift runtime trap: fatalError, a failed precondition, overflow, a nil unwrap)"
        case SIGSEGV, SIGBUS: " (a memory fault, or a stack overflow)"
        case SIGABRT: " (abort)"
        case SIGKILL: " (perhaps by the kernel's OOM killer, or by a person or program)"
        default: ""
        }
    }
}
