/// How a worker takes frames from rank 0 and answers them: over MPI, or over a socket for a
/// worker started without MPI.
protocol WorkerConnection {
    /// The next frame from rank 0, waiting as long as it takes, and where its attachment is.
    mutating func nextFrame() throws -> (frame: WireBuffer, attachment: (any IncomingAttachment)?)
    /// Sends a reply to rank 0.
    mutating func send(_ reply: OutgoingFrame) throws
}

/// A worker's life, on the thread that runs its tasks: take frames from rank 0, run them, reply,
/// until a stop frame comes. One task runs at a time; the executor may queue the next one here
/// meanwhile.
struct WorkerLoop<Connection: WorkerConnection> {
    var connection: Connection
    let runner: TaskRunner

    /// Serves until rank 0 says stop; returns how rank 0 wants this process to end.
    mutating func run() throws -> StopMode {
        while true {
            let (frame, attachment) = try connection.nextFrame()
            let header = try FrameHeader.read(from: frame.bytes)
            if header.kind == .stop { return StopMode(rawValue: header.id) ?? .exitNow }
            let reply = runner.handle(frame, header: header, attachment: attachment)
            try attachment?.discardIfUnread()
            if let reply { try connection.send(reply) }
        }
    }
}

/// Frames over MPI from rank 0 of the pool's communicator, polled with a backoff so an idle
/// worker sleeps.
struct MPIWorkerConnection: WorkerConnection {
    let communicator: Communicator
    private var backoff = IdleBackoff.standard()

    init(communicator: Communicator) {
        self.communicator = communicator
    }

    mutating func nextFrame() throws -> (frame: WireBuffer, attachment: (any IncomingAttachment)?) {
        while true {
            guard let message = try communicator.receiveIfArrived(from: 0, tag: MessageTag.frame) else {
                backoff.idle(sleep: sleepNanos)
                continue
            }
            backoff.noteActivity()
            let header = try FrameHeader.read(from: message.bytes.bytes)
            if header.kind == .pieces {
                let announcement = try PiecesAnnouncement(from: message.bytes.bytes)
                return try communicator.receiveAnnouncedFrame(announcement, from: 0)
            }
            let attachment = header.hasAttachment ? MessageAttachment(communicator: communicator, source: 0) : nil
            return (message.bytes, attachment)
        }
    }

    func send(_ reply: OutgoingFrame) throws { try communicator.send(reply, to: 0) }
}

/// Frames through the memory a spawned worker shares with rank 0.
struct SharedMemoryWorkerConnection: WorkerConnection {
    let stream: FrameStream
    private var backoff = IdleBackoff.standard()

    init(stream: FrameStream) {
        self.stream = stream
    }

    mutating func nextFrame() throws -> (frame: WireBuffer, attachment: (any IncomingAttachment)?) {
        let received = stream.nextFrame(backoff: &backoff)
        return (received.frame, received.attachment.map(LocalAttachment.init))
    }

    mutating func send(_ reply: OutgoingFrame) throws { stream.sendNow(reply, backoff: &backoff) }
}
