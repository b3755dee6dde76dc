/// A read-only value sent to each worker at most once, however many tasks use it: a model, a
/// matrix, a lookup table (Dask's `scatter(broadcast=True)`, Ray's `ray.put`).
///
/// Make one with ``MPIPoolExecutor/share(_:)`` and store it in a ``RemoteFunction``. The handle is
/// what travels with each task (a few bytes); the value goes to a worker just before the first task
/// there that holds the handle, and stays there until the pool shuts down or
/// ``MPIPoolExecutor/release(_:)`` lets it go. A worker that replaces a lost one receives it the
/// same way. Large arrays of plain numbers travel without being copied into a message.
///
/// ```swift
/// let table = try pool.share(bigTable)            // Shared<[Double]>
/// struct Lookup: RemoteFunction {
///     var table: Shared<[Double]>
///     func callAsFunction(_ i: Int) -> Double { table.value[i] }
/// }
/// let x = try pool.submit(Lookup(table: table), 7).result()
/// ```
public struct Shared<Value: Codable & Sendable>: Codable, Sendable, CustomStringConvertible {
    let storage: SharedStorage<Value>

    init(storage: SharedStorage<Value>) {
        self.storage = storage
    }

    /// The value, on rank 0 and on workers alike.
    public var value: Value { storage.value }

    /// The value's type, id and pool, never the value.
    public var description: String { "Shared<\(Value.self)> #\(storage.id) of pool \(storage.pool)" }

    /// Writes the handle: the pool and the value's id, never the value.
    public func encode(to encoder: any Encoder) throws {
        (encoder as? ValueWriter)?.noteShared(storage)
        var container = encoder.unkeyedContainer()
        try container.encode(storage.pool)
        try container.encode(storage.id)
    }

    /// Finds the value a handle names among those this process holds.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let pool = try container.decode(UInt32.self)
        let id = try container.decode(UInt64.self)
        // Only the errors name the process: a handle is decoded with every task that holds it.
        var here: String { PoolProcess.rank.map { "rank \($0)" } ?? "this process" }
        switch SharedValueStore.entry(id: id) {
        case .value(let object):
            guard let storage = object as? SharedStorage<Value> else {
                throw PoolError(
                    .decodingFailed,
                    "shared value #\(id) of pool \(pool) on \(here) is not a \(Value.self), but a "
                        + object.valueTypeName)
            }
            self.storage = storage
        case .failed(let error):
            throw error
        case nil:
            throw PoolError(
                .decodingFailed,
                "shared value #\(id) of pool \(pool) is not on \(here): it was released, or its pool has shut down")
        }
    }

}
