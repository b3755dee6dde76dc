/// Finds the types of shared values by their mangled names, as ``FunctionLookup`` does for
/// functions: a worker decodes a shared value as the type rank 0 names in its frame.
enum SharedValueTypes {
    /// The name a worker will find `Value` by; throws if it cannot.
    static func checkFindable<Value: Decodable>(_ type: Value.Type) throws -> String {
        guard let name = _mangledTypeName(type), _typeByName(name) == type else {
            throw PoolError(
                .invalidArgument,
                "a shared \(String(reflecting: type)) cannot be found by name in a worker process; declare its "
                    + "type at the top level of a file (or nested in a top-level type), without `private` or `fileprivate`"
            )
        }
        return name
    }

    /// Decodes a shared value of the type `typeName` names, from a share frame's body.
    static func decodeStorage(typeName: String, id: UInt64, pool: UInt32, from reader: ValueReader) throws
        -> any SharedValueIdentity
    {
        guard FunctionLookup.isWellFormed(typeName.utf8), let type = _typeByName(typeName) as? any Decodable.Type else {
            throw PoolError(
                .unknownFunctionType,
                "rank \(PoolProcess.rank ?? -1) cannot find the type of shared value #\(id), named \(typeName); "
                    + "every rank must run the same executable")
        }
        return try storage(of: type, id: id, pool: pool, from: reader)
    }

    private static func storage<Value: Decodable>(
        of type: Value.Type, id: UInt64, pool: UInt32, from reader: ValueReader
    ) throws -> any SharedValueIdentity {
        SharedStorage(id: id, pool: pool, value: try reader.readValue(Value.self))
    }
}
