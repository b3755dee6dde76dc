/// An error thrown by a task on a worker, carried back to the caller.
///
/// Mirrors the remote traceback `mpi4py.futures` attaches to a failed future: the error itself
/// cannot cross the process boundary (errors are not `Codable`), so its type and description do,
/// with where it happened. The pool keeps serving after a task fails.
public struct RemoteError: Error, CustomStringConvertible, Sendable, Codable, Hashable {
    /// The remote function's type name.
    public var function: String
    /// The MPI rank of the worker that ran the task (0 when run in-process).
    public var rank: Int
    /// The host name of that worker.
    public var host: String
    /// The thrown error's type, fully qualified (`MyModule.ParseError`).
    public var errorType: String
    /// The thrown error's description.
    public var message: String

    /// Makes a remote error; the pool makes these, tests and adapters may too.
    public init(function: String, rank: Int, host: String, errorType: String, message: String) {
        self.function = function
        self.rank = rank
        self.host = host
        self.errorType = errorType
        self.message = message
    }

    /// "<function> threw <errorType> on rank <rank> (<host>): <message>".
    public var description: String {
        "\(function) threw \(errorType) on rank \(rank) (\(host)): \(message)"
    }
}
