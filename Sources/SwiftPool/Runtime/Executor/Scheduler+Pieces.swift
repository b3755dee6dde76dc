/// A reply a worker sends in pieces (it is too big for one MPI message), received into memory of
/// rank 0's own while the scheduler goes on with other workers.
final class IncomingPieces {
    let frame: WireBuffer
    let attachment: WireBuffer?
    private var receives: [PendingReceive]

    init(_ announcement: PiecesAnnouncement, from source: Int, on communicator: Communicator) throws(MPIError) {
        frame = WireBuffer(uninitializedCount: announcement.frameBytes)
        receives = try communicator.startReceiveInPieces(
            into: UnsafeMutableRawBufferPointer(start: frame.base, count: frame.count), keepingAlive: frame,
            from: source, tag: MessageTag.framePiece, pieceBytes: announcement.pieceBytes)
        if announcement.attachmentBytes > 0 {
            let attachment = WireBuffer(uninitializedCount: announcement.attachmentBytes)
            receives += try communicator.startReceiveInPieces(
                into: UnsafeMutableRawBufferPointer(start: attachment.base, count: attachment.count),
                keepingAlive: attachment, from: source, tag: MessageTag.attachment,
                pieceBytes: announcement.pieceBytes)
            self.attachment = attachment
        } else {
            attachment = nil
        }
    }

    /// Whether every piece has arrived.
    func isComplete() throws(MPIError) -> Bool {
        while let first = receives.first {
            guard try first.isComplete() else { return false }
            receives.removeFirst()
        }
        return true
    }

    /// Takes back the receives still posted; returns those MPI would not give up.
    func cancel() -> [PendingReceive] { receives.filter { !$0.cancel() } }
}

extension Scheduler {
    /// Starts receiving a reply a worker announced in pieces.
    func startReceivingPieces(
        _ announcement: PiecesAnnouncement, from source: Int, on communicator: Communicator, slot: Int
    )
        throws
    {
        incomingPieces[slot] = try IncomingPieces(announcement, from: source, on: communicator)
    }

    /// Handles each reply whose pieces have all arrived.
    func receivePieces() throws -> Bool {
        var progressed = false
        for (slot, incoming) in incomingPieces where try incoming.isComplete() {
            incomingPieces[slot] = nil
            try handle(incoming, from: slot)
            progressed = true
        }
        return progressed
    }

    /// Waits for the reply a worker is sending in pieces: a later frame from it must not be handled
    /// before it. Throws ``PeerGone`` if the worker dies first.
    func finishReceivingPieces(slot: Int) throws {
        guard let incoming = incomingPieces[slot] else { return }
        var backoff = IdleBackoff(spinWindowNanos: 50_000, firstSleepNanos: 10_000, maxSleepNanos: 1_000_000)
        while try !incoming.isComplete() {
            if inbox.isGone(rank: workers[slot].rank) { throw PeerGone() }
            backoff.idle(sleep: sleepNanos)
        }
        incomingPieces[slot] = nil
        try handle(incoming, from: slot)
    }

    /// Drops the reply a lost worker was sending in pieces.
    func abandonIncomingPieces(slot: Int) {
        guard let incoming = incomingPieces.removeValue(forKey: slot) else { return }
        abandonedReceives += incoming.cancel()
    }

    private func handle(_ incoming: IncomingPieces, from slot: Int) throws {
        let header = try FrameHeader.read(from: incoming.frame.bytes)
        try handleReply(
            incoming.frame, header: header, from: slot, attachment: incoming.attachment.map(LocalAttachment.init))
    }
}
