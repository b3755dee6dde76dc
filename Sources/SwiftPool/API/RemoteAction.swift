/// A remote function that returns nothing: a task run for what it does (write a file, warm a
/// cache), Python's function that returns `None`. Its future resolves to ``NoOutput``.
///
/// ```swift
/// struct Save: RemoteAction {
///     var folder: String
///     func callAsFunction(_ frame: Frame) throws { try frame.write(to: folder) }
/// }
/// _ = try pool.map(Save(folder: "/scratch/out"), frames)
/// ```
///
/// It is a ``RemoteFunction`` whose `Output` is ``NoOutput``, so it goes wherever one does. A
/// synchronous or non-throwing `callAsFunction` satisfies the requirement.
public protocol RemoteAction: RemoteFunction where Argument == Taken, Output == NoOutput {
    /// The same type as ``RemoteFunction/Argument``. Swift infers an associated type only from the
    /// requirements of the protocol that declares it, so this one lets it infer `Argument` from
    /// its `callAsFunction(_:)` requirement; code uses `Argument`.
    associatedtype Taken: Codable & Sendable

    /// Runs the action on a worker. A thrown error comes back to the caller as a ``RemoteError``.
    func callAsFunction(_ argument: Taken) async throws
}

extension RemoteAction {
    /// Runs the action and returns ``NoOutput``.
    public func callAsFunction(_ argument: Taken) async throws -> NoOutput {
        let _: Void = try await callAsFunction(argument)
        return NoOutput()
    }
}

/// An action whose inputs are all stored properties: a pool's initializer that returns nothing,
/// or a task such as `pool.submit(WarmCache())`.
///
/// ```swift
/// struct LoadModel: ArgumentlessRemoteAction {
///     func callAsFunction() throws { try Model.loadShared() }
/// }
/// try MPIPoolExecutor.run(initializer: LoadModel()) { pool in ... }
/// ```
public protocol ArgumentlessRemoteAction: ArgumentlessRemoteFunction where Returned == NoOutput {
    /// Runs the action on a worker. A thrown error comes back to the caller as a ``RemoteError``.
    func callAsFunction() async throws
}

extension ArgumentlessRemoteAction {
    /// Runs the action and returns ``NoOutput``.
    public func callAsFunction() async throws -> NoOutput {
        let _: Void = try await callAsFunction()
        return NoOutput()
    }
}

/// What an action returns: nothing, as a value that crosses a process boundary.
public struct NoOutput: Codable, Sendable, Hashable {
    /// The one value of this type.
    public init() {}
}
