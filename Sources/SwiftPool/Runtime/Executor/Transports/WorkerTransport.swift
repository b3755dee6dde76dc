/// How rank 0's scheduler reaches its workers. The scheduler decides which worker runs what; a
/// transport carries frames to workers, delivers what comes back (replies, a worker's word that
/// it is ready, its end) by calling the scheduler, and starts, ends and stops workers.
///
/// Three kinds: ``ProcessTransport`` (worker processes over MPI and shared-memory rings: the plain
/// start and every launcher), ``InProcessTransport`` (no other process: rank 0 runs each task
/// itself) and ``SimulatedTransport`` (workers that are only timers, to measure the scheduler at
/// worker counts no machine here holds).
///
/// Every method runs on the scheduler's thread; `scheduler` is the one it serves.
protocol WorkerTransport: AnyObject {
    /// Whether tasks run in other processes: pools' worker limits (`maxTasksPerWorker`,
    /// `workerMemoryLimit`, `terminate()` ending a worker) apply only then, and shared values
    /// are sent only then.
    var runsTasksElsewhere: Bool { get }

    /// Whether a call failed in a way that leaves no worker reachable (MPI failed): the scheduler
    /// then makes no more calls that reach workers.
    var hasFailed: Bool { get set }

    /// Whether a frame no task accounts for may be on its way (news a supervisor nudged about).
    var expectsNews: Bool { get }

    /// Whether frames wait for room on their way out.
    var holdsOutput: Bool { get }

    /// Whether sends are in flight that move only while the scheduler tests them.
    var hasSendsInFlight: Bool { get }

    /// Hands a frame to the worker in `slot`; throws ``WorkerUnreachable`` when its link failed.
    func send(_ frame: OutgoingFrame, to slot: Int, for scheduler: Scheduler) throws

    /// Delivers every frame and worker end that has arrived; true when anything did.
    func receive(for scheduler: Scheduler) throws -> Bool

    /// Moves frames on their way out along; true when bytes moved.
    func progressSends(for scheduler: Scheduler) -> Bool

    /// Sleeps until the other side may have done something, a millisecond at most: a worker
    /// freeing room for output that waits, or a simulated worker's next answer.
    func waitBriefly(for scheduler: Scheduler)

    /// Delivers what a worker sent before the news of its end.
    func takeLastReplies(from slot: Int, for scheduler: Scheduler)

    /// Closes the link to a worker taken out of service: nothing more is read from it or sent to it.
    func closeLink(to worker: WorkerRecord, slot: Int)

    /// Whether a lost worker's slot can get a new worker.
    func canReplace(_ worker: WorkerRecord, for scheduler: Scheduler) -> Bool

    /// Starts a worker in each slot (a slot past the table's end adds one), as a replacement or not.
    func startWorkers(in slots: [Int], asReplacements: Bool, for scheduler: Scheduler) throws

    /// Ends a worker's process now; its end is reported as any other.
    func endWorker(in slot: Int, for scheduler: Scheduler)

    /// Tells an idle worker to stop after its last task (it ran its `maxTasksPerWorker`).
    func retire(_ slot: Int, for scheduler: Scheduler)

    /// Holds every worker to at most `limit` resident bytes (nil: no limit).
    func applyMemoryLimit(_ limit: UInt64?, for scheduler: Scheduler)

    /// Sends every worker still alive its stop and waits a few seconds at most for the sends;
    /// returns whether the job can end cleanly (with `MPI_Finalize`).
    func stopWorkers(interrupted: Bool, for scheduler: Scheduler) -> Bool
    /// News from the lifeline monitor: a supervisor connected, is lost, or nudged about news.
    func handle(_ event: LifelineEvent, for scheduler: Scheduler)
}

extension WorkerTransport {
    /// Only worker processes under a launcher have lifelines.
    func handle(_ event: LifelineEvent, for scheduler: Scheduler) {}
}

/// A worker could not be reached: a send or receive with it failed.
struct WorkerUnreachable: Error, CustomStringConvertible {
    var description: String
}
