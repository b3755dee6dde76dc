/// A frame's attachment that is still in flight: the next message from the frame's sender with
/// the attachment tag. Reading it receives straight into the destination array.
///
/// The sender may die between the frame and its attachment: `senderIsGone` lets the wait end.
final class MessageAttachment: IncomingAttachment {
    private let communicator: Communicator
    private let source: Int
    private let senderIsGone: () -> Bool
    private(set) var isConsumed = false

    init(communicator: Communicator, source: Int, senderIsGone: @escaping () -> Bool = { false }) {
        self.communicator = communicator
        self.source = source
        self.senderIsGone = senderIsGone
    }

    func fill(_ destination: UnsafeMutableRawBufferPointer) throws {
        guard !isConsumed else { throw PoolError(.protocolViolation, "an attachment was read twice") }
        isConsumed = true
        try communicator.receive(
            into: destination, from: source, tag: MessageTag.attachment, senderIsGone: senderIsGone)
    }

    func discardIfUnread() throws {
        guard !isConsumed else { return }
        isConsumed = true
        try communicator.discardNext(from: source, tag: MessageTag.attachment, senderIsGone: senderIsGone)
    }
}

extension Communicator {
    /// Starts sending a frame and its attachment, if any; returns the sends still in flight.
    func startSend(_ frame: OutgoingFrame, to destination: Int) throws(MPIError) -> [PendingSend] {
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
        try send(frame.bytes, to: destination, tag: MessageTag.frame)
        if let attachment = frame.attachment {
            try withExtendedLifetime(attachment) { () throws(MPIError) in
                try send(attachment.bytes, to: destination, tag: MessageTag.attachment)
            }
        }
    }
}
