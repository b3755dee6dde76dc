#if canImport(Glibc)
    import Glibc
#endif

/// How a polling loop waits when nothing arrives: it spins (yielding the core) for a short window
/// after the last activity, so a busy pool answers in microseconds, then sleeps for doubling
/// intervals up to a cap, so an idle process costs next to nothing. mpi4py.futures backs off the
/// same way, capped at 1 ms.
struct IdleBackoff {
    /// How long after activity to keep spinning.
    var spinWindowNanos: UInt64
    /// The first sleep after the spin window.
    var firstSleepNanos: UInt64
    /// The longest sleep.
    var maxSleepNanos: UInt64

    private var lastActivity = monotonicNanos()
    private var nextSleep: UInt64

    init(spinWindowNanos: UInt64, firstSleepNanos: UInt64, maxSleepNanos: UInt64) {
        self.spinWindowNanos = spinWindowNanos
        self.firstSleepNanos = firstSleepNanos
        self.maxSleepNanos = maxSleepNanos
        self.nextSleep = firstSleepNanos
    }

    /// The settings every SwiftPool process uses; `SWIFTPOOL_BACKOFF_MAX_US` and
    /// `SWIFTPOOL_SPIN_US` override the cap and the spin window.
    static func standard() -> IdleBackoff {
        IdleBackoff(
            spinWindowNanos: environmentMicroseconds("SWIFTPOOL_SPIN_US", default: 200) * 1000,
            firstSleepNanos: 10_000,
            maxSleepNanos: environmentMicroseconds("SWIFTPOOL_BACKOFF_MAX_US", default: 1000) * 1000)
    }

    private static func environmentMicroseconds(_ name: String, default value: UInt64) -> UInt64 {
        guard let text = getenv(name), let parsed = UInt64(String(cString: text)) else { return value }
        return parsed
    }

    /// Something happened: spin again on the next idle turn.
    @inline(__always)
    mutating func noteActivity() {
        lastActivity = monotonicNanos()
        nextSleep = firstSleepNanos
    }

    /// Whether the last activity was recent enough to keep spinning.
    var isSpinning: Bool { monotonicNanos() &- lastActivity < spinWindowNanos }

    /// One idle turn: yields while inside the spin window, otherwise calls `sleep` with the next
    /// interval in nanoseconds.
    mutating func idle(sleep: (UInt64) -> Void) {
        if isSpinning {
            sched_yield()
            return
        }
        sleep(nextSleep)
        nextSleep = min(nextSleep * 2, maxSleepNanos)
    }
}

/// Sleeps the calling thread for `nanos` nanoseconds.
func sleepNanos(_ nanos: UInt64) {
    var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
}
