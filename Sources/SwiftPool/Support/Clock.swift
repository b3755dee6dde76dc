#if canImport(Glibc)
    import Glibc
#endif

/// Nanoseconds on the monotonic clock: a vDSO call, cheap enough for the hot loops.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var wholeNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (scaled, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ UInt64(attoseconds / 1_000_000_000)
    }
}

/// A point in time a wait must end by, or none.
struct Deadline {
    var nanos: UInt64?

    init(after timeout: Duration?) {
        nanos = timeout.map { monotonicNanos() &+ $0.wholeNanoseconds }
    }

    /// Nanoseconds left, nil for no deadline, 0 when passed.
    var remaining: UInt64? {
        guard let nanos else { return nil }
        let now = monotonicNanos()
        return nanos > now ? nanos - now : 0
    }

    var hasPassed: Bool { remaining == 0 }
}
