import Synchronization

/// What other threads share with rank 0's scheduler: the commands they post, the wake-up that
/// rouses the scheduler, and the figures they may read. Everything else about scheduling belongs
/// to the MPI thread (``Scheduler`` is not `Sendable`, so the compiler keeps it there).
final class ExecutorInbox: Sendable {
    private let commands = Mutex<[ExecutorCommand]>([])
    private let wakeup = Wakeup()
    private let liveWorkers: Atomic<Int>
    private let gone = Mutex<Set<Int>>([])

    init(workerCount: Int) {
        liveWorkers = Atomic(workerCount)
    }

    /// The number of workers tasks can run on now (1 when tasks run in-process).
    var workerCount: Int { liveWorkers.load(ordering: .relaxed) }

    /// Whether the scheduler starts workers itself (the plain start), so a pool that asks for more
    /// than there are gets them.
    let canStartWorkers = Atomic<Bool>(false)

    func post(_ command: ExecutorCommand) {
        if case .lifeline(.lost(let rank, _)) = command { gone.withLock { _ = $0.insert(rank) } }
        commands.withLock { $0.append(command) }
        wakeup.signal()
    }

    /// Whether the lifeline monitor has reported the worker of this rank gone: lets the MPI thread
    /// stop waiting for a message from it without going back to its loop.
    func isGone(rank: Int) -> Bool { gone.withLock { $0.contains(rank) } }

    // MARK: The MPI thread

    var hasCommands: Bool { commands.withLock { !$0.isEmpty } }

    func takeCommands() -> [ExecutorCommand] {
        commands.withLock { commands in
            let taken = commands
            commands.removeAll(keepingCapacity: true)
            return taken
        }
    }

    func sleep(timeoutNanos: UInt64?) {
        wakeup.sleep(timeoutNanos: timeoutNanos) { hasCommands }
    }

    func setWorkerCount(_ count: Int) { liveWorkers.store(count, ordering: .relaxed) }
}
