/// A frame's attachment that is still in flight: the next message from the frame's sender with
/// the attachment tag. Reading it receives straight into the destination array.
///
/// The sender may die between the frame and its attachment: `senderIsGone` lets the wait end.
final class MessageAttachment: IncomingAttachment {
    private let communicator: Communicator
    private let source: Int
    private let senderIsGone: () -> Bool
    /// For an attachment sent in pieces: its size and the pieces'.
    private let pieces: (totalBytes: Int, pieceBytes: Int)?
    private(set) var isConsumed = false

    init(
        communicator: Communicator, source: Int, pieces: (totalBytes: Int, pieceBytes: Int)? = nil,
        senderIsGone: @escaping () -> Bool = { false }
    ) {
        self.communicator = communicator
        self.source = source
        self.pieces = pieces
        self.senderIsGone = senderIsGone
    }

    func byteCount() throws -> Int {
        if let pieces { return pieces.totalBytes }
        return try communicator.sizeOfNext(from: source, tag: MessageTag.attachment, senderIsGone: senderIsGone)
    }

    func fill(_ destination: UnsafeMutableRawBufferPointer) throws {
        guard !isConsumed else { throw PoolError(.protocolViolation, "an attachment was read twice") }
        isConsumed = true
        guard let pieces else {
            return try communicator.receive(
                into: destination, from: source, tag: MessageTag.attachment, senderIsGone: senderIsGone)
        }
        guard destination.count == pieces.totalBytes else {
            throw PoolError(
                .protocolViolation, "an attachment of \(pieces.totalBytes) bytes was read as \(destination.count)")
        }
        try communicator.receiveInPieces(
            into: destination, from: source, tag: MessageTag.attachment, pieceBytes: pieces.pieceBytes,
            senderIsGone: senderIsGone)
    }

    func discardIfUnread() throws {
        guard !isConsumed else { return }
        isConsumed = true
        let count = pieces.map { MessagePieces.ranges(count: $0.totalBytes, pieceBytes: $0.pieceBytes).count } ?? 1
        for _ in 0..<count {
            try communicator.discardNext(from: source, tag: MessageTag.attachment, senderIsGone: senderIsGone)
        }
    }
}

extension Communicator {
    /// Starts sending a frame and its attachment, if any; returns the sends still in flight.
    func startSend(_ frame: OutgoingFrame, to destination: Int) throws(MPIError) -> [PendingSend] {
        if frame.needsPieces { return try startSendInPieces(frame, to: destination) }
        var pending: [PendingSend] = []
        let bytes = frame.bytes
        let send = try startSend(bytes.bytes, keepingAlive: bytes, to: destination, tag: MessageTag.frame)
        if try !send.isComplete() { pending.append(send) }
        if let attachment = frame.attachment {
            let attached = try startSend(
                attachment.bytes, keepingAlive: attachment, to: destination, tag: MessageTag.attachment)
            if try !attached.isComplete() { pending.append(attached) }
        }
        return pending
    }

    /// Sends a frame and its attachment, if any, returning once both may be reused.
    func send(_ frame: OutgoingFrame, to destination: Int) throws(MPIError) {
        if frame.needsPieces {
            let announcement = PiecesAnnouncement(for: frame)
            try send(announcement.encoded(), to: destination, tag: MessageTag.frame)
            try withExtendedLifetime(frame) { () throws(MPIError) in
                try sendInPieces(
                    frame.bytes.bytes, to: destination, tag: MessageTag.framePiece, pieceBytes: announcement.pieceBytes)
                if let attachment = frame.attachment {
                    try sendInPieces(
                        attachment.bytes, to: destination, tag: MessageTag.attachment,
                        pieceBytes: announcement.pieceBytes)
                }
            }
            return
        }
        try send(frame.bytes, to: destination, tag: MessageTag.frame)
        if let attachment = frame.attachment {
            try withExtendedLifetime(attachment) { () throws(MPIError) in
                try send(attachment.bytes, to: destination, tag: MessageTag.attachment)
            }
        }
    }
}

extension Communicator {
    /// Starts sending a frame too big for one message: its announcement, then its pieces and its
    /// attachment's.
    private func startSendInPieces(_ frame: OutgoingFrame, to destination: Int) throws(MPIError) -> [PendingSend] {
        let announcement = PiecesAnnouncement(for: frame)
        let header = announcement.encoded()
        var pending: [PendingSend] = []
        let sent = try startSend(header.bytes, keepingAlive: header, to: destination, tag: MessageTag.frame)
        if try !sent.isComplete() { pending.append(sent) }
        pending += try startSendInPieces(
            frame.bytes.bytes, keepingAlive: frame.bytes, to: destination, tag: MessageTag.framePiece,
            pieceBytes: announcement.pieceBytes)
        if let attachment = frame.attachment {
            pending += try startSendInPieces(
                attachment.bytes, keepingAlive: attachment, to: destination, tag: MessageTag.attachment,
                pieceBytes: announcement.pieceBytes)
        }
        return pending
    }

    /// The rest of a frame a worker announced in pieces, waited for: the frame's bytes, and where
    /// its attachment's pieces come from.
    func receiveAnnouncedFrame(_ announcement: PiecesAnnouncement, from source: Int) throws -> (
        frame: WireBuffer, attachment: (any IncomingAttachment)?
    ) {
        let frame = WireBuffer(uninitializedCount: announcement.frameBytes)
        try receiveInPieces(
            into: UnsafeMutableRawBufferPointer(start: frame.base, count: frame.count), from: source,
            tag: MessageTag.framePiece,
            pieceBytes: announcement.pieceBytes, senderIsGone: { false })
        let header = try FrameHeader.read(from: frame.bytes)
        let attachment =
            header.hasAttachment
            ? MessageAttachment(
                communicator: self, source: source,
                pieces: (announcement.attachmentBytes, announcement.pieceBytes))
            : nil
        return (frame, attachment)
    }
}
