#if canImport(Glibc)
    import Glibc
#endif

/// How a polling loop waits when nothing arrives: it spins (yielding the core) for a short window
/// after the last activity, so a busy pool answers in microseconds, then sleeps for doubling
/// intervals up to a cap, so an idle process costs next to nothing. mpi4py.futures backs off the
/// same way, capped at 1 ms. After 100 ms with nothing to do the cap rises to 10 ms: a wake-up from
/// a long sleep costs 15-35 µs of CPU on the machines measured, which at 1 ms keeps every idle
/// process near 2 % of a core; the price is up to 10 ms before a worker that has been idle that
/// long notices its next task.
struct IdleBackoff {
    /// How long after activity to keep spinning.
    var spinWindowNanos: UInt64
    /// The first sleep after the spin window.
    var firstSleepNanos: UInt64
    /// The longest sleep while the process has been busy within the last 100 ms.
    var maxSleepNanos: UInt64
    /// The longest sleep once it has been idle longer than that.
    var deepIdleSleepNanos: UInt64 = 10_000_000
    /// How long without activity counts as deeply idle.
    var deepIdleAfterNanos: UInt64 = 100_000_000

    private var lastActivity = monotonicNanos()
    private var nextSleep: UInt64

    init(spinWindowNanos: UInt64, firstSleepNanos: UInt64, maxSleepNanos: UInt64) {
        self.spinWindowNanos = spinWindowNanos
        self.firstSleepNanos = firstSleepNanos
        self.maxSleepNanos = maxSleepNanos
        self.nextSleep = firstSleepNanos
    }

    /// The settings every SwiftPool process uses; `SWIFTPOOL_SPIN_US`, `SWIFTPOOL_BACKOFF_MAX_US`
    /// and `SWIFTPOOL_IDLE_SLEEP_MAX_US` override the spin window and the two caps.
    static func standard() -> IdleBackoff {
        var backoff = IdleBackoff(
            spinWindowNanos: PoolSettings.spinNanos, firstSleepNanos: 10_000,
            maxSleepNanos: PoolSettings.busySleepCapNanos)
        backoff.deepIdleSleepNanos = PoolSettings.idleSleepCapNanos
        return backoff
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
        let idleFor = monotonicNanos() &- lastActivity
        nextSleep = min(nextSleep * 2, idleFor > deepIdleAfterNanos ? deepIdleSleepNanos : maxSleepNanos)
    }
}

/// Sleeps the calling thread for `nanos` nanoseconds.
func sleepNanos(_ nanos: UInt64) {
    var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
}
