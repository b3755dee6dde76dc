/// What a task frame's encoder learns of each shared value it writes a handle for, so the pool can
/// refuse a handle that is not its own and the scheduler can send the value first.
protocol SharedValueIdentity: AnyObject, Sendable {
    var id: UInt64 { get }
    var pool: UInt32 { get }
    var isReleased: Bool { get }
    var valueTypeName: String { get }
}

/// The shared values a task's handles name, gathered while it is encoded.
final class SharedValueLog {
    var values: [any SharedValueIdentity] = []
}
