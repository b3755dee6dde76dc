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

    /// Whether a name from a frame has the form `_mangledTypeName` gives: ASCII letters, digits and
    /// underscores, at most 4 KiB. Anything else (a corrupted byte, a `$` symbolic reference) could
    /// crash the Swift runtime's demangler, so it never reaches `_typeByName`.
    static func isWellFormed(_ name: some Collection<UInt8>) -> Bool {
        guard !name.isEmpty, name.count <= 4096, let first = name.first, first != UInt8(ascii: "_") else {
            return false
        }
        return name.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "_")
        }
    }

    /// The function type with this mangled name, if this executable can find it by name.
    static func type(named name: String) -> (any RemoteFunction.Type)? {
        guard isWellFormed(name.utf8) else { return nil }
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
