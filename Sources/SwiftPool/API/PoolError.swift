/// A failure of the pool itself rather than of a task: the pool was shut down, a wait timed out,
/// a value could not cross the process boundary, and so on.
///
/// Mirrors the exceptions of `concurrent.futures` (`CancelledError`, `TimeoutError`,
/// `BrokenExecutor`, the `RuntimeError` of a submit after shutdown). Its ``description`` says
/// what happened and what to do about it. ``Code`` is a struct, so new codes can be added without
/// breaking `switch` statements in user code.
public struct PoolError: Error, CustomStringConvertible, Sendable, Codable, Hashable {
    /// What kind of failure this is.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The code's name, as ``PoolError/description`` shows it.
        public var rawValue: String
        /// Makes a code; SwiftPool's own are the static members below.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's name.
        public var description: String { rawValue }

        /// The pool was shut down before the task could be submitted or run.
        public static let shutDown = Code(rawValue: "shut down")
        /// A wait ran past its timeout (the task itself may still finish), or a task ran past its
        /// pool's `taskTimeout` and was stopped.
        public static let timedOut = Code(rawValue: "timed out")
        /// The future was cancelled before it ran.
        public static let cancelled = Code(rawValue: "cancelled")
        /// The function's type cannot be found by name in another process.
        public static let unknownFunctionType = Code(rawValue: "unknown function type")
        /// A function, argument or result could not be encoded.
        public static let encodingFailed = Code(rawValue: "encoding failed")
        /// A function, argument or result could not be decoded.
        public static let decodingFailed = Code(rawValue: "decoding failed")
        /// An argument, result or shared value holds a container of more than 4,294,967,295 entries,
        /// which SwiftPool cannot count. Size alone is never the reason: large payloads travel in
        /// pieces.
        public static let payloadTooLarge = Code(rawValue: "payload too large")
        /// The pool can no longer run tasks: its initializer failed, or every worker is gone.
        public static let brokenPool = Code(rawValue: "broken pool")
        /// The processes of the job do not run the same executable.
        public static let differentBuilds = Code(rawValue: "different builds")
        /// The workers could not be started.
        public static let spawnFailed = Code(rawValue: "spawn failed")
        /// An argument to a pool call is out of range.
        public static let invalidArgument = Code(rawValue: "invalid argument")
        /// An MPI routine failed.
        public static let mpiFailure = Code(rawValue: "MPI failure")
        /// A process sent a message this build does not understand.
        public static let protocolViolation = Code(rawValue: "protocol violation")
        /// The worker running the task died every time it ran (more than the pool's `maxRetries`
        /// times). The message names the rank, the host, how the process ended (a signal, an exit
        /// code, or lost contact) and how many times the task ran.
        public static let workerLost = Code(rawValue: "worker lost")
    }

    /// What kind of failure this is.
    public var code: Code
    /// What happened and what to do about it.
    public var message: String

    /// Makes an error of the given kind with a message that says what happened and what to do.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// "SwiftPool: <code>: <message>".
    public var description: String { "SwiftPool: \(code): \(message)" }
}

extension PoolError {
    static func shutDown(_ action: String) -> PoolError {
        PoolError(.shutDown, "cannot \(action) after the pool has been shut down; create a new pool")
    }

    static var cancelled: PoolError {
        PoolError(.cancelled, "the future was cancelled before it ran")
    }

    static func timedOut(_ what: String, after timeout: Duration) -> PoolError {
        PoolError(
            .timedOut,
            "\(what) did not finish within \(timeout); the task keeps running, wait again or raise the timeout")
    }

    /// A wait on many that timed out, saying how many were left ("2 of 4 futures unfinished", as
    /// CPython says), and what became of them.
    static func timedOut(
        _ what: String, after timeout: Duration, unfinished: Int, of total: Int, counting noun: String, then: String
    ) -> PoolError {
        PoolError(
            .timedOut, "\(what) did not finish within \(timeout): \(unfinished) of \(total) \(noun) unfinished; \(then)"
        )
    }

    /// A map or streaming map past its timeout: its queued chunks are cancelled.
    static func mapTimedOut(_ what: String, after timeout: Duration, unfinished: Int, of total: Int) -> PoolError {
        timedOut(
            what, after: timeout, unfinished: unfinished, of: total, counting: "items",
            then: "their queued chunks are cancelled (running ones finish, unread)")
    }

    /// A keyed, unkeyed or dictionary container of more entries than its 32-bit count can hold:
    /// the one thing SwiftPool cannot send, whatever its size in bytes.
    static let tooManyEntries = PoolError(
        .payloadTooLarge,
        "a container (an array, dictionary or struct) has more than \(OpenContainer.maximumEntries) entries, "
            + "more than a SwiftPool message can count; arrays of plain numbers have no such limit, so send the "
            + "values as such an array, or split the work")
}
