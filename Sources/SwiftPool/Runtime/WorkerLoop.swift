/// A worker rank's life, on its MPI thread: take frames from rank 0, run them, reply, until a
/// stop frame comes. One task runs at a time; the executor may queue the next one here meanwhile.
struct WorkerLoop {
    let communicator: Communicator
    let runner: TaskRunner

    /// Serves until rank 0 says stop; returns how rank 0 wants this process to end.
    func run() throws -> StopMode {
        var backoff = IdleBackoff.standard()
        while true {
            guard let message = try communicator.receiveIfArrived(from: 0, tag: MessageTag.frame) else {
                backoff.idle(sleep: sleepNanos)
                continue
            }
            let header = try FrameHeader.read(from: message.bytes.bytes)
            if header.kind == .stop { return StopMode(rawValue: header.id) ?? .exitNow }
            let attachment = header.hasAttachment ? MessageAttachment(communicator: communicator, source: 0) : nil
            let reply = runner.handle(message.bytes, header: header, attachment: attachment)
            try attachment?.discardIfUnread()
            if let reply { try communicator.send(reply, to: 0) }
            backoff.noteActivity()
        }
    }
}
