import Synchronization

/// Finds remote function types by their mangled names, the way Swift's distributed actor
/// runtimes find types: both sides run the same executable (checked at start-up), so the name
/// one process writes resolves to the same type in another.
enum FunctionLookup {
    private static let typesByName = Mutex<[String: any RemoteFunction.Type]>([:])
    private static let namesByType = Mutex<[ObjectIdentifier: String]>([:])

    /// The name that identifies `F` on the wire.
    static func name<F: RemoteFunction>(of type: F.Type) -> String {
        _mangledTypeName(type) ?? ""
    }

    /// The function type with this mangled name, if this executable can find it by name.
    static func type(named name: String) -> (any RemoteFunction.Type)? {
        if let known = typesByName.withLock({ $0[name] }) { return known }
        guard let found = _typeByName(name) as? any RemoteFunction.Type else { return nil }
        typesByName.withLock { $0[name] = found }
        return found
    }

    /// Checks on the submitting side that a worker will be able to find `F`, so a type that
    /// cannot be found is refused at `submit` with advice rather than failing on a worker.
    static func checkFindable<F: RemoteFunction>(_ type: F.Type) throws -> String {
        if let known = namesByType.withLock({ $0[ObjectIdentifier(type)] }) { return known }
        let name = name(of: type)
        guard !name.isEmpty, let found = self.type(named: name), found == type else {
            throw PoolError(
                .unknownFunctionType,
                "\(String(describing: type)) cannot be found by name in a worker process; "
                    + "declare it at the top level of a file (or nested in a top-level type), not inside a "
                    + "function, and without `private` or `fileprivate`")
        }
        namesByType.withLock { $0[ObjectIdentifier(type)] = name }
        return name
    }
}
