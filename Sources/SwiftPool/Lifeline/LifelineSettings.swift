#if canImport(Glibc)
    import Glibc
#endif

/// How often lifelines beat and how long silence may last. Rank 0 reads them and hands them to
/// each supervisor in its welcome, so every process of a job uses the same values.
struct LifelineSettings: Sendable, Equatable {
    /// How often each side sends a heartbeat.
    var heartbeatNanos: UInt64
    /// How long a lifeline may stay silent before its process counts as lost.
    var silenceNanos: UInt64
    /// How long a supervisor has to connect its lifeline after it is welcomed, and a worker to
    /// say it is ready after it is started.
    var connectNanos: UInt64

    /// The defaults notice a lost host within 3.5 s. `SWIFTPOOL_HEARTBEAT_MS` and
    /// `SWIFTPOOL_HEARTBEAT_TIMEOUT_MS` override the interval and the silence allowed.
    static func fromEnvironment() -> LifelineSettings {
        let heartbeat = PoolSettings.heartbeatMilliseconds
        let silence = max(PoolSettings.heartbeatTimeoutMilliseconds, heartbeat * 2)
        return LifelineSettings(
            heartbeatNanos: heartbeat * 1_000_000, silenceNanos: silence * 1_000_000, connectNanos: 10_000_000_000)
    }
}
