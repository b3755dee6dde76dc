/// A function a worker process can run: a top-level `Codable` type called like a function.
///
/// This is what Python's pickled top-level function is to `ProcessPoolExecutor`. The type is its
/// identity: a worker finds it by its mangled name in its own copy of the executable, so nothing
/// needs registering, but the type must be visible by name (not `private`, not local to a
/// function). Its stored properties travel with every call, like the bound arguments of
/// `functools.partial`; closures never travel, so no state is shared by accident.
///
/// ```swift
/// struct Scale: RemoteFunction {
///     var factor: Double
///     func callAsFunction(_ x: Double) -> Double { x * factor }
/// }
/// let scaled = try pool.map(Scale(factor: 2), [1.0, 2.0, 3.0])   // [2.0, 4.0, 6.0]
/// ```
///
/// A synchronous, non-throwing `callAsFunction` satisfies the requirement.
public protocol RemoteFunction: Codable, Sendable {
    /// What one call takes.
    associatedtype Argument: Codable & Sendable
    /// What one call returns. (Named `Output`, not `Result`, so it does not hide `Swift.Result`
    /// inside conforming types.)
    associatedtype Output: Codable & Sendable

    /// Runs the function on a worker. A thrown error comes back to the caller as a ``RemoteError``.
    func callAsFunction(_ argument: Argument) async throws -> Output

    /// Runs the function on every argument of a chunk, in order, and returns their results; the
    /// first error thrown ends the chunk. `map` sends items to workers in chunks.
    ///
    /// The default calls ``callAsFunction(_:)`` once per argument. It is compiled into the module
    /// that declares the function type, for that type, so a synchronous `callAsFunction` is a
    /// direct call per item. A type may implement it itself to handle a chunk at once (to share
    /// set-up between items, or to vectorize).
    func callAsFunction(chunk arguments: [Argument]) async throws -> [Output]
}

extension RemoteFunction {
    /// Calls ``callAsFunction(_:)`` on each argument in order, stopping at the first error.
    @inlinable
    public func callAsFunction(chunk arguments: [Argument]) async throws -> [Output] {
        var results: [Output] = []
        results.reserveCapacity(arguments.count)
        for argument in arguments { results.append(try await self(argument)) }
        return results
    }
}

/// A remote function whose inputs are all stored properties, submitted without an argument:
/// `pool.submit(ReadHostname())`.
public protocol ArgumentlessRemoteFunction: RemoteFunction where Argument == NoArgument, Output == Returned {
    /// The same type as ``RemoteFunction/Output``. Swift infers an associated type only from the
    /// requirements of the protocol that declares it (restating `Output` here draws a warning), so
    /// this one lets it infer `Output` from ``callAsFunction()``; code uses `Output`.
    associatedtype Returned: Codable & Sendable

    /// Runs the function on a worker. A thrown error comes back to the caller as a ``RemoteError``.
    func callAsFunction() async throws -> Returned
}

extension ArgumentlessRemoteFunction {
    /// Calls ``callAsFunction()``; the argument carries nothing.
    public func callAsFunction(_ argument: NoArgument) async throws -> Output {
        try await callAsFunction()
    }
}

/// The argument of an ``ArgumentlessRemoteFunction``: carries nothing.
public struct NoArgument: Codable, Sendable, Hashable {
    /// The one value of this type.
    public init() {}
}
