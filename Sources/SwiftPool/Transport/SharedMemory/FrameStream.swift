import DequeModule

/// Frames through a pair of shared-memory rings, between a worker and the process it talks to
/// (rank 0, or a supervisor that relays it). Each message is a kind byte (frame or attachment), a
/// little-endian UInt64 length, and the bytes; a frame marked as having an attachment is followed
/// by it.
///
/// An attachment is not read ahead: its bytes stay in the ring until the frame's reader takes them
/// straight into the array it decodes (``RingAttachment``), so a large array is copied once on
/// each side, as Open MPI's single-copy transport did, not once more through a buffer of its own.
/// Nothing after it is read until it has been taken or dropped.
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
    /// The header of the message coming in, as far as it has arrived.
    private var header = [UInt8](repeating: 0, count: FrameStream.headerSize)
    private var headerFilled = 0
    /// The frame coming in, in a buffer of its exact size, and how much has arrived.
    private var body: WireBuffer?
    private var bodyFilled = 0
    /// Frames complete, not yet taken.
    private var arrived = Deque<WireBuffer>()
    /// The attachment whose header has arrived and whose bytes are still (partly) in the ring.
    private var attachmentInRing: RingAttachment?
    /// Whether the writer on the other side has ended, for a reader waiting on an attachment's
    /// rest; a worker's parent learns it from the process's end.
    var senderIsGone: () -> Bool = { false }
    /// The doorbell bit to set after each write, on a worker whose reader is rank 0.
    var doorbell: (bell: Doorbell, slot: Int)?

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

    /// A frame that has arrived, with its attachment when it has one, to be taken or dropped
    /// before the next frame.
    struct Received {
        var frame: WireBuffer
        var attachment: RingAttachment?
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

    /// Writes queued bytes until done or the ring is full: whether nothing is left, and whether
    /// any byte went.
    @discardableResult
    func flush() -> (isDone: Bool, wroteAny: Bool) {
        var wroteAny = false
        while var first = outgoing.first {
            let count = outgoingRing.write(UnsafeRawBufferPointer(rebasing: first.bytes[first.written...]))
            first.written += count
            if count > 0 { wroteAny = true }
            if first.written == first.bytes.count {
                outgoing.removeFirst()
            } else {
                outgoing[outgoing.startIndex] = first
                ringDoorbell(if: wroteAny)
                return (false, wroteAny)
            }
        }
        ringDoorbell(if: wroteAny)
        return (true, wroteAny)
    }

    private func ringDoorbell(if wrote: Bool) {
        if wrote, let doorbell { doorbell.bell.ring(doorbell.slot) }
    }

    var hasPendingOutput: Bool { !outgoing.isEmpty }

    /// Sends a frame and its attachment, waiting until the ring has taken all of it.
    func sendNow(_ frame: OutgoingFrame, backoff: inout IdleBackoff) {
        send(frame)
        while true {
            let flushed = flush()
            if flushed.isDone { break }
            // Bytes moving means the other side is reading: keep pace; with no room, sleep until
            // the reader frees some (it wakes this side as it does, so no spinning).
            if flushed.wroteAny { backoff.noteActivity() } else { waitForSpace(timeoutNanos: 1_000_000) }
        }
        backoff.noteActivity()
    }

    // MARK: Receiving

    /// Reads what has arrived and returns every frame now complete, and whether any byte came.
    func receiveFrames() -> (frames: [Received], readAny: Bool) {
        let read = readAvailable()
        var frames: [Received] = []
        while let frame = takeFrame() { frames.append(frame) }
        return (frames, read > 0)
    }

    /// Waits until a whole frame (with its attachment) has arrived, asleep on the ring between
    /// polls, so the sender's write wakes it at once.
    func nextFrame(backoff: inout IdleBackoff) -> Received {
        while true {
            if let frame = takeFrame() {
                backoff.noteActivity()
                return frame
            }
            if readAvailable() > 0 {
                backoff.noteActivity()
            } else if isMidMessage {
                // The sender is writing the rest and wakes this side as it does: spinning would
                // only take the core from it when the two share one.
                waitForBytes(timeoutNanos: 1_000_000)
            } else {
                backoff.idle(sleep: waitForBytes)
            }
        }
    }

    /// Whether part of a message has arrived (or a frame waits for its attachment).
    private var isMidMessage: Bool { body != nil || headerFilled > 0 || !arrived.isEmpty }

    /// Whether an attachment's bytes hold up the ring: nothing behind them is read until its
    /// frame's reader has taken or dropped them.
    private var isHeldByAttachment: Bool { attachmentInRing.map { $0.remaining > 0 } ?? false }

    /// Sleeps until the other side writes, or `timeoutNanos` pass.
    func waitForBytes(timeoutNanos: UInt64) { incomingRing.waitForBytes(timeoutNanos: timeoutNanos) }

    /// Sleeps until the other side frees room for what waits to go out, or `timeoutNanos` pass.
    func waitForSpace(timeoutNanos: UInt64) { outgoingRing.waitForSpace(timeoutNanos: timeoutNanos) }

    /// Moves what the ring holds into the frames coming in, each straight into a buffer of its own
    /// exact size, up to an attachment's bytes; returns how many bytes it moved.
    @discardableResult
    private func readAvailable() -> Int {
        var moved = 0
        while !isHeldByAttachment, case let readable = incomingRing.readable, readable > 0 {
            if let buffer = body {
                let count = incomingRing.read(
                    into: buffer.base + bodyFilled, count: min(readable, buffer.count - bodyFilled))
                bodyFilled += count
                moved += count
                if bodyFilled == buffer.count { finishBody() }
            } else {
                let count = header.withUnsafeMutableBytes {
                    incomingRing.read(
                        into: $0.baseAddress! + headerFilled, count: min(readable, Self.headerSize - headerFilled))
                }
                headerFilled += count
                moved += count
                if headerFilled == Self.headerSize { startBody() }
            }
        }
        return moved
    }

    /// A header is in: makes the buffer a frame goes into, or leaves an attachment in the ring.
    private func startBody() {
        headerFilled = 0
        let length = header.withUnsafeBytes {
            Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 1, as: UInt64.self)))
        }
        // Both ends are this program's own processes; an unknown kind can only be a bug.
        if MessageKind(rawValue: header[0]) == .attachment {
            attachmentInRing = RingAttachment(stream: self, count: length)
            return
        }
        body = WireBuffer(uninitializedCount: length)
        bodyFilled = 0
        if length == 0 { finishBody() }
    }

    private func finishBody() {
        guard let complete = body else { return }
        arrived.append(complete)
        body = nil
    }

    /// The next complete frame, with its attachment when it has one, if the frame and the
    /// attachment's header are here.
    private func takeFrame() -> Received? {
        guard let first = arrived.first else { return nil }
        let header = try? FrameHeader.read(from: first.bytes)
        guard header?.hasAttachment == true else {
            arrived.removeFirst()
            return Received(frame: first, attachment: nil)
        }
        // Reading stops at an attachment's header, so the frame it follows is the last one in.
        guard arrived.count == 1, let attachment = attachmentInRing, !attachment.isHandedOut else { return nil }
        arrived.removeFirst()
        attachment.isHandedOut = true
        if attachment.remaining == 0 { attachmentInRing = nil }
        return Received(frame: first, attachment: attachment)
    }

    // MARK: Attachments

    /// Copies up to `count` of the attachment's bytes that have arrived to `destination` (or drops
    /// them, with no destination), sleeping on the ring while none have; throws ``PeerGone`` when
    /// the writer ends first.
    fileprivate func takeAttachmentBytes(into destination: UnsafeMutableRawPointer?, count: Int) throws -> Int {
        while true {
            let readable = incomingRing.readable
            if readable > 0 {
                let taken = min(readable, count)
                if let destination { return incomingRing.read(into: destination, count: taken) }
                return incomingRing.skip(taken)
            }
            if senderIsGone() { throw PeerGone() }
            waitForBytes(timeoutNanos: 1_000_000)
        }
    }

    fileprivate func attachmentTaken(_ attachment: RingAttachment) {
        if attachmentInRing === attachment { attachmentInRing = nil }
    }
}

/// A frame's attachment whose bytes are still in the ring, read straight into the array that
/// decodes it; the writer's pace sets the reader's, a ring's worth at a time.
final class RingAttachment: IncomingAttachment {
    private unowned let stream: FrameStream
    let count: Int
    /// Bytes still in (or on their way into) the ring.
    fileprivate(set) var remaining: Int
    fileprivate var isHandedOut = false

    fileprivate init(stream: FrameStream, count: Int) {
        self.stream = stream
        self.count = count
        self.remaining = count
    }

    var isConsumed: Bool { remaining == 0 && isHandedOut }

    func byteCount() -> Int { count }

    func fill(_ destination: UnsafeMutableRawBufferPointer) throws {
        guard remaining == count, destination.count == count else {
            throw PoolError(
                .protocolViolation,
                remaining == count
                    ? "an attachment of \(count) bytes was read as \(destination.count)"
                    : "an attachment was read twice")
        }
        try take(into: destination.baseAddress)
    }

    func discardIfUnread() throws {
        guard remaining > 0 else { return }
        try take(into: nil)
    }

    /// Takes the whole attachment into a buffer of its own, for a process that passes it on.
    func readWhole() throws -> WireBuffer {
        let buffer = WireBuffer(uninitializedCount: count)
        try fill(UnsafeMutableRawBufferPointer(start: buffer.base, count: count))
        return buffer
    }

    private func take(into destination: UnsafeMutableRawPointer?) throws {
        while remaining > 0 {
            let done = count - remaining
            remaining -= try stream.takeAttachmentBytes(into: destination.map { $0 + done }, count: remaining)
        }
        stream.attachmentTaken(self)
    }
}
