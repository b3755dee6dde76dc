import DequeModule

/// Frames through a pair of shared-memory rings, between rank 0 and a worker it started itself.
/// Each message is a kind byte (frame or attachment), a little-endian UInt64 length, and the
/// bytes; a frame marked as having an attachment is followed by it.
///
/// Rank 0 uses it from its scheduler loop without waiting: ``send(_:)`` queues and writes what
/// the ring takes, ``flush()`` writes more, ``receiveFrames()`` returns the frames complete so
/// far. A worker uses ``nextFrame(backoff:)`` and ``sendNow(_:backoff:)``, which wait as its MPI
/// loop does: spinning, then sleeping longer and longer. Neither side learns from the rings that
/// the other is gone; the lifeline says so.
final class FrameStream {
    private let memory: SharedChannelMemory
    private let outgoingRing: ByteRing
    private let incomingRing: ByteRing
    private var outgoing = Deque<Pending>()
    private var incoming = WireBuffer(capacity: 64 * 1024)
    private var consumed = 0

    private enum MessageKind: UInt8 {
        case frame = 0
        case attachment = 1
    }

    private static let headerSize = 9

    /// Bytes waiting to go out, kept alive by their owner.
    private struct Pending {
        var owner: AnyObject
        var bytes: UnsafeRawBufferPointer
        var written = 0
    }

    /// A frame that has arrived, with its attachment's bytes when it has one.
    struct Received {
        var frame: WireBuffer
        var attachment: WireBuffer?
    }

    /// Rank 0's end of the memory it shares with a worker.
    static func executorEnd(of memory: SharedChannelMemory) -> FrameStream {
        FrameStream(memory: memory, outgoing: memory.toWorker, incoming: memory.toExecutor)
    }

    /// A worker's end.
    static func workerEnd(of memory: SharedChannelMemory) -> FrameStream {
        FrameStream(memory: memory, outgoing: memory.toExecutor, incoming: memory.toWorker)
    }

    private init(memory: SharedChannelMemory, outgoing: ByteRing, incoming: ByteRing) {
        self.memory = memory
        self.outgoingRing = outgoing
        self.incomingRing = incoming
    }

    // MARK: Sending

    /// Queues a frame and its attachment and writes what the ring takes now.
    func send(_ frame: OutgoingFrame) {
        enqueue(.frame, frame.bytes.bytes, owner: frame.bytes)
        if let attachment = frame.attachment { enqueue(.attachment, attachment.bytes, owner: attachment) }
        _ = flush()
    }

    private func enqueue(_ kind: MessageKind, _ bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        let header = WireBuffer(capacity: Self.headerSize)
        header.append(kind.rawValue)
        header.append(UInt64(bytes.count))
        outgoing.append(Pending(owner: header, bytes: header.bytes))
        if bytes.count > 0 { outgoing.append(Pending(owner: owner, bytes: bytes)) }
    }

    /// Writes queued bytes until done or the ring is full; true when nothing is left.
    func flush() -> Bool {
        while var first = outgoing.first {
            let count = outgoingRing.write(UnsafeRawBufferPointer(rebasing: first.bytes[first.written...]))
            first.written += count
            if first.written == first.bytes.count {
                outgoing.removeFirst()
            } else {
                outgoing[outgoing.startIndex] = first
                return false
            }
        }
        return true
    }

    var hasPendingOutput: Bool { !outgoing.isEmpty }

    /// Sends a frame and its attachment, waiting until the ring has taken all of it.
    func sendNow(_ frame: OutgoingFrame, backoff: inout IdleBackoff) {
        send(frame)
        while !flush() { backoff.idle(sleep: sleepNanos) }
        backoff.noteActivity()
    }

    // MARK: Receiving

    /// Reads what has arrived and returns every frame now complete.
    func receiveFrames() -> [Received] {
        readAvailable()
        var frames: [Received] = []
        while let frame = takeFrame() { frames.append(frame) }
        return frames
    }

    /// Waits until a whole frame (with its attachment) has arrived.
    func nextFrame(backoff: inout IdleBackoff) -> Received {
        while true {
            if let frame = takeFrame() {
                backoff.noteActivity()
                return frame
            }
            if readAvailable() == 0 { backoff.idle(sleep: sleepNanos) } else { backoff.noteActivity() }
        }
    }

    /// Moves what the ring holds into the buffer of incoming bytes; returns how much.
    @discardableResult
    private func readAvailable() -> Int {
        let count = incomingRing.readable
        guard count > 0 else { return 0 }
        let start = incoming.extend(by: count)
        return incomingRing.read(into: start, count: count)
    }

    /// The next complete frame, with its attachment when it has one, if all of it is here.
    private func takeFrame() -> Received? {
        guard let (kind, frame, afterFrame) = message(at: consumed), kind == .frame else { return nil }
        let header = try? FrameHeader.read(from: frame.bytes)
        var attachment: WireBuffer?
        var end = afterFrame
        if header?.hasAttachment == true {
            guard let (nextKind, bytes, afterAttachment) = message(at: afterFrame), nextKind == .attachment else {
                return nil
            }
            attachment = bytes
            end = afterAttachment
        }
        consumed = end
        if consumed == incoming.count {
            incoming.truncate(by: incoming.count)
            consumed = 0
        } else if consumed > 1 << 20 {
            incoming.dropFirst(consumed)
            consumed = 0
        }
        return Received(frame: frame, attachment: attachment)
    }

    /// The message starting at `offset`, copied out, and where the next one starts; nil while it
    /// is incomplete.
    private func message(at offset: Int) -> (MessageKind, WireBuffer, Int)? {
        let available = incoming.count - offset
        guard available >= Self.headerSize else { return nil }
        let bytes = incoming.bytes
        guard let kind = MessageKind(rawValue: bytes[offset]) else { return nil }
        let length = Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt64.self)))
        guard available - Self.headerSize >= length else { return nil }
        let copy = WireBuffer(capacity: max(length, 16))
        copy.append(
            UnsafeRawBufferPointer(rebasing: bytes[(offset + Self.headerSize)..<(offset + Self.headerSize + length)]))
        return (kind, copy, offset + Self.headerSize + length)
    }
}
