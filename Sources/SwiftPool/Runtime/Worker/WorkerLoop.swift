/// How a worker takes frames from its parent and answers them.
protocol WorkerConnection {
    /// The next frame from rank 0, waiting as long as it takes, and where its attachment is.
    mutating func nextFrame() throws -> (frame: WireBuffer, attachment: (any IncomingAttachment)?)
    /// Sends a reply to rank 0.
    mutating func send(_ reply: OutgoingFrame) throws
    /// Rings a doorbell rank 0 shares after every write.
    mutating func ring(_ doorbell: Doorbell, slot: Int)
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
            if header.kind == .doorbell {
                let (slot, processID, descriptor) = try DoorbellFrame.read(from: frame.bytes)
                // Without it, rank 0 still reads this worker's ring, on its periodic sweep.
                if let bell = try? Doorbell.open(processID: processID, descriptor: descriptor) {
                    connection.ring(bell, slot: slot)
                }
                continue
            }
            let reply = runner.handle(frame, header: header, attachment: attachment)
            try attachment?.discardIfUnread()
            if let reply { try connection.send(reply) }
        }
    }
}

/// Frames through the memory a worker shares with its parent.
struct SharedMemoryWorkerConnection: WorkerConnection {
    let stream: FrameStream
    let replies: WorkerReplies
    private var backoff = IdleBackoff.standard()

    init(stream: FrameStream, replies: WorkerReplies) {
        self.stream = stream
        self.replies = replies
    }

    mutating func nextFrame() throws -> (frame: WireBuffer, attachment: (any IncomingAttachment)?) {
        let received = stream.nextFrame(backoff: &backoff)
        return (received.frame, received.attachment)
    }

    mutating func send(_ reply: OutgoingFrame) throws { replies.send(reply) }

    mutating func ring(_ doorbell: Doorbell, slot: Int) { replies.ring(doorbell, slot: slot) }
}
