import DequeModule

/// One pool's queue of tasks waiting for a worker, and what the scheduler knows of its tasks.
final class PoolQueue {
    let plan: PoolPlan
    let workerLimit: Int
    var queue = Deque<QueuedTask>()
    /// Its tasks that workers hold now; a closed pool is forgotten only once none are left, so a
    /// task whose worker dies can always go back to its queue.
    var inFlight = 0
    var broken: PoolError?
    var isClosing = false
    /// ``PoolPlan/taskTimeout`` in nanoseconds.
    let timeoutNanos: UInt64?
    /// A moving average of how long a worker spends on one of this pool's tasks; nil until the
    /// first reply.
    private var averageServiceNanos: Double?

    /// How much work to keep queued at each worker: more than a round trip to the executor takes,
    /// so a worker finishing a short task finds the next one already there.
    static let queuedWorkNanos = 200_000.0
    /// Below this, a task is short next to the time a sleeping process takes to notice a message
    /// (up to about a millisecond each way): a second task waits behind it, so its worker never
    /// idles for a round trip.
    static let shortTaskNanos = 2_000_000.0

    init(plan: PoolPlan, workerLimit: Int) {
        self.plan = plan
        self.workerLimit = workerLimit
        self.timeoutNanos = plan.taskTimeout.map(\.wholeNanoseconds)
    }

    /// How many of this pool's tasks one worker may hold: about ``queuedWorkNanos`` of work, and
    /// two for tasks shorter than ``shortTaskNanos``, at least the one it runs. Unknown durations
    /// count as long, so a pool of long tasks never starts by stacking them behind each other.
    func slotsPerWorker(maximum: Int) -> Int {
        guard let average = averageServiceNanos, average > 0 else { return 1 }
        let floor = average < Self.shortTaskNanos ? 2 : 1
        return min(maximum, max(floor, Int(Self.queuedWorkNanos / average)))
    }

    /// Takes in how long a task ran on its worker, as the worker measured it.
    func recordServiceTime(_ nanos: UInt64) {
        let sample = Double(nanos)
        averageServiceNanos = averageServiceNanos.map { 0.8 * $0 + 0.2 * sample } ?? sample
    }

    /// Whether a closed pool has nothing left to hand out or wait for.
    var isFinished: Bool { isClosing && queue.isEmpty && inFlight == 0 }
}
