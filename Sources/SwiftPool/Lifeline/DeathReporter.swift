import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Lets a worker say how it ends before it goes: an exit handler reports the status `exit` was
/// called with, and a handler for the deadly signals reports the signal, then hands it on to
/// whatever handled it before (Swift's backtracer, or the default action). Only SIGKILL and a
/// lost host leave rank 0 with nothing but a closed or silent lifeline.
enum DeathReporter {
    /// The lifeline the handlers write to; -1 when nothing should be reported (before the
    /// lifeline is open, and once the worker is stopping normally).
    static let lifeline = Atomic<Int32>(-1)

    /// The actions the handlers replaced, indexed by signal number. Written once, before any
    /// handler is installed, and only read after: a signal handler cannot take a lock.
    nonisolated(unsafe) private static var previousActions: UnsafeMutablePointer<sigaction>?

    /// Linux's `NSIG`: signal numbers run below it.
    private static let signalCount = 65

    /// The signals that end a process and can be caught.
    static let reportedSignals: [Int32] = [
        SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGXCPU, SIGXFSZ,
    ]

    /// Starts reporting this process's end on `descriptor`. Call once, on the thread that will
    /// run tasks (it also gets an alternate signal stack, so a stack overflow is reported too).
    static func install(descriptor: Int32) {
        lifeline.store(descriptor, ordering: .releasing)
        let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: signalCount)
        previous.initialize(repeating: sigaction(), count: signalCount)
        previousActions = previous
        for signal in reportedSignals {
            var old = sigaction()
            sigaction(signal, nil, &old)
            if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }  // SIG_IGN
            previous[Int(signal)] = old
            var action = sigaction()
            action.__sigaction_handler.sa_handler = reportSignal
            action.sa_flags = Int32(SA_ONSTACK)
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        on_exit(reportExit, nil)
        giveThreadAnAlternateStack()
    }

    /// The worker is ending normally: nothing more to report.
    static func disarm() { lifeline.store(-1, ordering: .releasing) }

    /// A signal handler runs on the faulting thread's stack, which a stack overflow has used up;
    /// an alternate stack lets it run anyway.
    private static func giveThreadAnAlternateStack() {
        let size = 256 * 1024
        guard let memory = malloc(size) else { return }
        var stack = stack_t(ss_sp: memory, ss_flags: 0, ss_size: size)
        sigaltstack(&stack, nil)
    }

    fileprivate static func write(_ record: LifelineRecord) {
        let descriptor = lifeline.load(ordering: .acquiring)
        guard descriptor >= 0 else { return }
        var bytes = record.bytes
        _ = withUnsafeBytes(of: &bytes) { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    fileprivate static func restorePrevious(_ signal: Int32) {
        guard let previousActions else { return }
        sigaction(signal, previousActions + Int(signal), nil)
    }
}

/// Reports the signal, puts back the previous action and raises the signal again; it is blocked
/// while this handler runs, so the previous action takes it as soon as the handler returns.
/// Async-signal-safe: an atomic load, `send`, `sigaction` and `raise`, with the record on the stack.
private let reportSignal: @convention(c) (Int32) -> Void = { signal in
    OutputForwarder.finishForCrash()
    DeathReporter.write(LifelineRecord(kind: .signalled, value: signal))
    DeathReporter.disarm()
    DeathReporter.restorePrevious(signal)
    raise(signal)
}

private let reportExit: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { status, _ in
    guard DeathReporter.lifeline.load(ordering: .acquiring) >= 0 else { return }
    OutputForwarder.finish(timeoutNanos: 1_000_000_000)
    DeathReporter.write(LifelineRecord(kind: .exiting, value: status))
    DeathReporter.disarm()
}
