/// The bytes of a large array of plain numbers, sent as a message of their own straight from the
/// array's storage instead of being copied into a frame. It keeps the array alive until MPI is
/// done with the bytes.
///
/// `@unchecked Sendable`: the owner is an immutable array value (its storage never changes while
/// held here), and the pointer is only read.
final class OutgoingAttachment: @unchecked Sendable {
    private let owner: Any
    let base: UnsafeRawPointer
    let count: Int

    /// `base` must point into `owner`'s contiguous storage, which must not change while held.
    init(owner: Any, base: UnsafeRawPointer, count: Int) {
        self.owner = owner
        self.base = base
        self.count = count
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Where a reader finds the bytes of a frame's attachment: the next message from the sender, or,
/// in-process, the sender's own array.
protocol IncomingAttachment: AnyObject {
    /// The attachment's size in bytes, learned without taking it.
    func byteCount() throws -> Int
    /// Fills `destination` with the attachment; it must have exactly the attachment's size.
    func fill(_ destination: UnsafeMutableRawBufferPointer) throws
    /// Whether ``fill(_:)`` has taken the attachment.
    var isConsumed: Bool { get }
    /// Takes and drops the attachment if nobody read it, so the next message is a frame again.
    func discardIfUnread() throws
}

/// An attachment whose bytes are already in this process: the sender's own array (the in-process
/// pool), or bytes that came through shared memory.
final class LocalAttachment: IncomingAttachment {
    private let owner: AnyObject
    private let bytes: UnsafeRawBufferPointer
    private(set) var isConsumed = false

    init(_ source: OutgoingAttachment) {
        owner = source
        bytes = source.bytes
    }

    init(_ buffer: WireBuffer) {
        owner = buffer
        bytes = buffer.bytes
    }

    func byteCount() -> Int { bytes.count }

    func fill(_ destination: UnsafeMutableRawBufferPointer) throws {
        guard !isConsumed, destination.count == bytes.count else {
            throw PoolError(
                .protocolViolation, "an attachment of \(bytes.count) bytes was read as \(destination.count)")
        }
        if bytes.count > 0 { destination.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        isConsumed = true
    }

    func discardIfUnread() { isConsumed = true }
}

/// Above this many bytes a top-level array of plain numbers travels as an attachment: one copy
/// fewer on each side, which for large arrays costs more than the extra message.
let attachmentThreshold = 256 * 1024
