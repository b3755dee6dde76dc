import Synchronization

/// One shared value as a process holds it: on rank 0 the value the program shared, on a worker the
/// value decoded from the one frame that brought it.
///
/// `@unchecked Sendable`: `value` never changes after init, and ``Shared`` only stores values that
/// are `Sendable`; the generic parameter is unconstrained so a worker can make one from a type it
/// found by name.
final class SharedStorage<Value>: @unchecked Sendable, SharedValueIdentity {
    let id: UInt64
    let pool: UInt32
    let value: Value
    private let released = Atomic<Bool>(false)

    init(id: UInt64, pool: UInt32, value: Value) {
        self.id = id
        self.pool = pool
        self.value = value
    }

    var isReleased: Bool { released.load(ordering: .acquiring) }

    var valueTypeName: String { String(reflecting: Value.self) }

    /// Marks the value released; true the first time.
    func markReleased() -> Bool { !released.exchange(true, ordering: .acquiringAndReleasing) }
}

/// The shared values this process holds, by id: what ``Shared``'s decoding looks up.
///
/// On rank 0 they are the values the program shared (so tasks run in-process find them); on a
/// worker, those rank 0 sent it. A value that could not be decoded here is kept as the error, so
/// each task that needs it fails with the reason.
enum SharedValueStore {
    enum Entry {
        case value(any SharedValueIdentity)
        case failed(PoolError)
    }

    private static let entries = Mutex<[UInt64: Entry]>([:])

    static func keep(_ entry: Entry, id: UInt64) { entries.withLock { $0[id] = entry } }

    static func forget(id: UInt64) { entries.withLock { $0[id] = nil } }

    static func entry(id: UInt64) -> Entry? { entries.withLock { $0[id] } }

    /// How many values this process holds now.
    static var count: Int { entries.withLock { $0.count } }
}
