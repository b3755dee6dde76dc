import DequeModule

#if canImport(Glibc)
    import Glibc
#endif

/// Frames over a TCP connection, for workers that talk to rank 0 without MPI (the plain start's
/// replacement workers). Each message is a kind byte (frame or attachment), a little-endian
/// UInt64 length, and the bytes; a frame marked as having an attachment is followed by it.
///
/// Rank 0 uses it non-blocking from its scheduler loop: ``send(_:)`` queues and writes what the
/// kernel takes, ``flush()`` writes more, ``receiveFrames()`` returns the frames complete so
/// far. A worker uses the blocking ``nextFrame()`` and ``sendNow(_:)``.
final class FrameSocket {
    let descriptor: Int32
    private var outgoing = Deque<Pending>()
    private var incoming = WireBuffer(capacity: 64 * 1024)
    private var consumed = 0
    private(set) var isClosed = false

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

    /// Wraps a connected socket; the frame socket closes it.
    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(descriptor)
    }

    /// Sets the socket to blocking (a worker) or non-blocking (rank 0) mode.
    func setBlocking(_ blocking: Bool) {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK)
    }

    // MARK: Sending

    /// Queues a frame and its attachment and writes what the kernel takes now.
    func send(_ frame: OutgoingFrame) throws(SystemCallError) {
        enqueue(.frame, frame.bytes.bytes, owner: frame.bytes)
        if let attachment = frame.attachment { enqueue(.attachment, attachment.bytes, owner: attachment) }
        _ = try flush()
    }

    private func enqueue(_ kind: MessageKind, _ bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        let header = WireBuffer(capacity: Self.headerSize)
        header.append(kind.rawValue)
        header.append(UInt64(bytes.count))
        outgoing.append(Pending(owner: header, bytes: header.bytes))
        if bytes.count > 0 { outgoing.append(Pending(owner: owner, bytes: bytes)) }
    }

    /// Writes queued bytes until done or the kernel's buffer is full; true when nothing is left.
    func flush() throws(SystemCallError) -> Bool {
        while var first = outgoing.first {
            let left = first.bytes.count - first.written
            let count = Glibc.send(descriptor, first.bytes.baseAddress! + first.written, left, Int32(MSG_NOSIGNAL))
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return false }
                throw SystemCallError(call: "send", code: errno)
            }
            first.written += count
            if first.written == first.bytes.count {
                outgoing.removeFirst()
            } else {
                outgoing[outgoing.startIndex] = first
            }
        }
        return true
    }

    var hasPendingOutput: Bool { !outgoing.isEmpty }

    /// Sends a frame and its attachment, blocking until written.
    func sendNow(_ frame: OutgoingFrame) throws(SystemCallError) {
        try send(frame)
        while try !flush() {
            var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&entry, 1, -1)
        }
    }

    // MARK: Receiving

    /// Reads what has arrived and returns every frame now complete; throws when the connection
    /// is closed or broken.
    func receiveFrames() throws(SystemCallError) -> [Received] {
        try readAvailable()
        var frames: [Received] = []
        while let frame = takeFrame() { frames.append(frame) }
        return frames
    }

    /// Blocks until a whole frame (with its attachment) has arrived.
    func nextFrame() throws(SystemCallError) -> Received {
        while true {
            if let frame = takeFrame() { return frame }
            try readAvailable(blocking: true)
        }
    }

    private func readAvailable(blocking: Bool = false) throws(SystemCallError) {
        var reads = 0
        repeat {
            let room = 64 * 1024
            let start = incoming.extend(by: room)
            let count = recv(descriptor, start, room, blocking && reads == 0 ? 0 : Int32(MSG_DONTWAIT))
            incoming.truncate(by: room - max(count, 0))
            if count == 0 { throw SystemCallError(call: "recv", code: ECONNRESET) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
                throw SystemCallError(call: "recv", code: errno)
            }
            reads += 1
        } while true
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

/// The attachment of a frame that came over a ``FrameSocket``: bytes already here.
final class ReceivedAttachment: IncomingAttachment {
    private let buffer: WireBuffer
    private(set) var isConsumed = false

    init(_ buffer: WireBuffer) { self.buffer = buffer }

    func fill(_ destination: UnsafeMutableRawBufferPointer) throws {
        guard !isConsumed, destination.count == buffer.count else {
            throw PoolError(
                .protocolViolation, "an attachment of \(buffer.count) bytes was read as \(destination.count)")
        }
        if buffer.count > 0 { destination.baseAddress!.copyMemory(from: buffer.base, byteCount: buffer.count) }
        isConsumed = true
    }

    func discardIfUnread() { isConsumed = true }
}
