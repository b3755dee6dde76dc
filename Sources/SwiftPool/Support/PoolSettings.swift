#if canImport(Glibc)
    import Glibc
#endif

/// Every `SWIFTPOOL_*` setting, read from the environment here and nowhere else, each once, the
/// first time it is needed. The README and the Performance and tuning article list them.
enum PoolSettings {
    // MARK: Waiting

    /// `SWIFTPOOL_SPIN_US` (200): how long a loop spins after activity before it sleeps.
    static let spinNanos = microseconds("SWIFTPOOL_SPIN_US", default: 200) * 1000
    /// `SWIFTPOOL_BACKOFF_MAX_US` (1000): the longest sleep while work is in flight.
    static let busySleepCapNanos = microseconds("SWIFTPOOL_BACKOFF_MAX_US", default: 1000) * 1000
    /// `SWIFTPOOL_IDLE_SLEEP_MAX_US` (10000): the longest sleep when idle.
    static let idleSleepCapNanos = microseconds("SWIFTPOOL_IDLE_SLEEP_MAX_US", default: 10_000) * 1000
    /// `SWIFTPOOL_RESULT_SPIN_US` (20): how long a blocking `result()` spins before it sleeps.
    static let resultSpinNanos = microseconds("SWIFTPOOL_RESULT_SPIN_US", default: 20) * 1000

    // MARK: Lifelines

    /// `SWIFTPOOL_HEARTBEAT_MS` (500): how often each side of a lifeline beats.
    static let heartbeatMilliseconds = positive("SWIFTPOOL_HEARTBEAT_MS", default: 500)
    /// `SWIFTPOOL_HEARTBEAT_TIMEOUT_MS` (3000): silence before a worker counts as lost.
    static let heartbeatTimeoutMilliseconds = positive("SWIFTPOOL_HEARTBEAT_TIMEOUT_MS", default: 3000)

    // MARK: Messages and output

    /// `SWIFTPOOL_MAX_MESSAGE_BYTES` (1 GiB, at least 4 KiB): the largest MPI message before a frame
    /// goes in pieces; smaller values are for tests.
    static let maxMessageBytes: Int = {
        guard let value = text("SWIFTPOOL_MAX_MESSAGE_BYTES").flatMap({ Int($0) }) else { return 1 << 30 }
        return min(max(value, 4096), 1 << 30)
    }()
    /// `SWIFTPOOL_OUTPUT_TAGS` (on): whether workers' lines carry their rank and host; `0`, `off`,
    /// `no` or `false` turn the tags off.
    static let tagsOutputLines: Bool = {
        guard let value = text("SWIFTPOOL_OUTPUT_TAGS") else { return true }
        return !["0", "off", "no", "false"].contains(value.lowercased())
    }()

    // MARK: Launching and ending

    /// `SWIFTPOOL_LAUNCH` (`auto`): `auto`, `world` or `spawn`, checked by ``LaunchPlan/mode()``.
    static var launch: String? { text("SWIFTPOOL_LAUNCH") }
    /// `SWIFTPOOL_WORKERS` (cores): how many workers the plain start starts when the code names
    /// no `maxWorkers`, and the default `maxWorkers` under a launcher; checked by
    /// ``LaunchPlan/configuredWorkers()``.
    static var workers: String? { text("SWIFTPOOL_WORKERS") }
    /// `SWIFTPOOL_WORKERS_PER_RANK` (1): how many worker processes each rank but 0 supervises
    /// under a launcher, a number or `cores`; checked by ``LaunchPlan/workersPerRank()``.
    static var workersPerRank: String? { text("SWIFTPOOL_WORKERS_PER_RANK") }
    /// `SWIFTPOOL_EXIT_STATUS_FILE`: where rank 0 writes its exit status (the sbatch script reads it).
    static var exitStatusFile: String? { text("SWIFTPOOL_EXIT_STATUS_FILE").flatMap { $0.isEmpty ? nil : $0 } }
    /// `SWIFTPOOL_INTERRUPT_GRACE_SECONDS` (5): how long a program has after SIGINT or SIGTERM.
    static let interruptGraceSeconds: Double = {
        guard let value = text("SWIFTPOOL_INTERRUPT_GRACE_SECONDS").flatMap({ Double($0) }), value >= 0 else {
            return 5
        }
        return value
    }()

    /// Not a setting: how rank 0 tells a worker it starts which descriptor holds its welcome.
    static let welcomeDescriptorVariable = "SWIFTPOOL_WELCOME_FD"
    static var welcomeDescriptor: String? { text(welcomeDescriptorVariable) }

    // MARK: Reading

    private static func text(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    private static func microseconds(_ name: String, default value: UInt64) -> UInt64 {
        text(name).flatMap { UInt64($0) } ?? value
    }

    private static func positive(_ name: String, default value: UInt64) -> UInt64 {
        guard let parsed = text(name).flatMap({ UInt64($0) }), parsed > 0 else { return value }
        return parsed
    }
}
