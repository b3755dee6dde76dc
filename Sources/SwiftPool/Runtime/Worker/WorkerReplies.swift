import Synchronization

/// A worker's way back to its parent: the frames it sends through shared memory, whole and one at
/// a time, from the thread that runs tasks (results) or any thread a task starts (log records).
///
/// `@unchecked Sendable`: the stream's sending side is used only under `sending`; its receiving
/// side belongs to the task thread alone.
final class WorkerReplies: @unchecked Sendable {
    private let stream: FrameStream
    private let sending = Mutex(IdleBackoff.standard())

    /// This process's, once it serves as a worker.
    static let current = Mutex<WorkerReplies?>(nil)

    init(stream: FrameStream) { self.stream = stream }

    /// Sends a frame, waiting until the ring has taken all of it.
    func send(_ frame: OutgoingFrame) {
        sending.withLock { backoff in stream.sendNow(frame, backoff: &backoff) }
    }

    /// Rings `doorbell`'s bit for `slot` after every write from now on, so rank 0 reads this
    /// worker's ring only when it has something.
    func ring(_ doorbell: Doorbell, slot: Int) {
        sending.withLock { _ in stream.doorbell = (doorbell, slot) }
    }

    /// Sends a log record to rank 0; false when this process is not a worker.
    static func send(log bytes: WireBuffer) -> Bool {
        guard let replies = current.withLock({ $0 }) else { return false }
        replies.send(FrameEncoder.log(bytes))
        return true
    }
}
