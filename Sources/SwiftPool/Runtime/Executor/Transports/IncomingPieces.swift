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
