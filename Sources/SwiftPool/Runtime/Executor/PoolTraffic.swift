import Synchronization

/// What rank 0 has sent to worker processes since the program started, counted by the thread that
/// sends. Tasks run in-process send nothing.
public struct PoolTraffic: Sendable, Equatable, CustomStringConvertible {
    /// Frames sent: tasks, initializers, shared values and control frames.
    public var framesSent: Int
    /// Bytes sent, frames and their attached arrays together.
    public var bytesSent: Int
    /// How many times a shared value was sent to a worker.
    public var sharedValuesSent: Int
    /// The bytes of those shared values (part of ``bytesSent``).
    public var sharedValueBytesSent: Int

    /// The counts in one line.
    public var description: String {
        "\(framesSent) frames, \(bytesSent) bytes; \(sharedValuesSent) shared values, \(sharedValueBytesSent) bytes"
    }
}

extension MPIPoolExecutor {
    /// What rank 0 has sent to its workers so far, over all pools.
    public static var traffic: PoolTraffic {
        PoolTraffic(
            framesSent: PoolTrafficCounters.frames.load(ordering: .relaxed),
            bytesSent: PoolTrafficCounters.bytes.load(ordering: .relaxed),
            sharedValuesSent: PoolTrafficCounters.sharedValues.load(ordering: .relaxed),
            sharedValueBytesSent: PoolTrafficCounters.sharedValueBytes.load(ordering: .relaxed))
    }
}

/// The counters behind ``PoolTraffic``: only rank 0's scheduler thread adds to them.
enum PoolTrafficCounters {
    static let frames = Atomic<Int>(0)
    static let bytes = Atomic<Int>(0)
    static let sharedValues = Atomic<Int>(0)
    static let sharedValueBytes = Atomic<Int>(0)

    static func noteSent(_ frame: OutgoingFrame) {
        frames.add(1, ordering: .relaxed)
        bytes.add(frame.byteCount, ordering: .relaxed)
    }

    static func noteSharedValueSent(_ frame: OutgoingFrame) {
        sharedValues.add(1, ordering: .relaxed)
        sharedValueBytes.add(frame.byteCount, ordering: .relaxed)
    }
}
