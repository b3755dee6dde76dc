import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the MPI thread does once start-up has said what this process is: rank 0 of the plain start,
/// rank 0 under a launcher, or a supervisor; and how each ends.
extension PoolRuntime {
    /// Rank 0 of the plain start: starts `workers` processes of this executable, shares memory
    /// with each, reads their output, schedules tasks until the program ends, then stops them.
    static func runSpawningExecutor(workers: Int, _ tell: @Sendable (StartupReport) -> Void) {
        blockBrokenPipeSignals()
        PoolProcess.setRank(0)
        let inbox = ExecutorInbox(workerCount: workers)
        let lifelines: LifelineMonitor
        let scheduler: Scheduler
        do {
            // No listener: the workers are this process's children, watched through `waitpid`.
            lifelines = try LifelineMonitor(
                addresses: [], settings: .fromEnvironment(), report: { inbox.post(.lifeline($0)) })
        } catch {
            tell(.failed(asPoolError(error)))
            return
        }
        do {
            scheduler = try Scheduler.spawning(
                inbox: inbox, count: workers, lifelines: lifelines, recruiter: .forThisProgram())
            scheduler.waitForWorkersToStart(timeoutNanos: lifelines.settings.connectNanos)
        } catch {
            lifelines.shutdown()
            tell(.failed(asPoolError(error)))
            return
        }
        tell(.executor(inbox))
        scheduler.run()
        _ = scheduler.stopWorkers()
        // Every line a worker wrote is written before the program ends: its pipes close once it
        // has exited and they are read to the end. (A worker that does not stop dies with this
        // thread, by its parent-death signal.)
        _ = lifelines.waitUntilAllClosed(timeoutNanos: 2_000_000_000)
        lifelines.shutdown()
    }

    /// Rank 0 under a launcher: schedules tasks until the program ends, then stops the workers
    /// and finalizes.
    static func runExecutor(
        communicator: Communicator, peers: [Peer], host: String, size: Int,
        _ tell: @Sendable (StartupReport) -> Void
    ) {
        let inbox = ExecutorInbox(workerCount: max(size - 1, 1))
        let scheduler: Scheduler
        let lifelines: LifelineMonitor?
        do {
            if size > 1 {
                let monitor = try LifelineMonitor(
                    addresses: LifelineAddresses.toListenOn(peers: peers, host: host),
                    settings: .fromEnvironment(), report: { inbox.post(.lifeline($0)) })
                lifelines = monitor
                scheduler = try Scheduler.overMPI(
                    inbox: inbox, job: .init(communicator: communicator, peers: peers), lifelines: monitor)
                // As in the plain start, a pool is handed out once its workers are up, so that
                // its first tasks do not wait for start-up (nor go all to the first worker up).
                scheduler.waitForWorkersToStart(timeoutNanos: monitor.settings.connectNanos)
            } else {
                lifelines = nil
                scheduler = Scheduler.inProcess(inbox: inbox, runner: TaskRunner(rank: 0, host: host))
            }
        } catch {
            tell(.failed(asPoolError(error)))
            return
        }
        tell(.executor(inbox))
        scheduler.run()
        let clean = scheduler.stopWorkers()
        guard let lifelines else {
            try? communicator.free()
            try? MPIEnvironment.finalize()
            return
        }
        if scheduler.interruption != nil {
            // Supervisors end themselves and their workers as their lifelines close.
            lifelines.shutdown()
            endsWithoutFinalize.store(true, ordering: .releasing)
        } else if clean && !lifelines.sawUnannouncedClosure {
            try? communicator.free()
            finalize(within: 10_000_000_000) { exitStatus.load(ordering: .relaxed) }
            // The supervisors send their workers' last lines before they close their lifelines.
            _ = lifelines.waitUntilAllClosed(timeoutNanos: 2_000_000_000)
            lifelines.shutdown()
        } else {
            // The supervisors left exit at once; wait for their lifelines to close, so none
            // outlives the program, then end without MPI_Finalize.
            _ = lifelines.waitUntilAllClosed(timeoutNanos: 2_000_000_000)
            lifelines.shutdown()
            unreachableHosts.withLock { $0 = scheduler.unreachableHosts }
            endsWithoutFinalize.store(true, ordering: .releasing)
        }
    }

    /// A rank other than 0: waits for rank 0's welcome, connects its lifeline, and supervises its
    /// worker process until rank 0 says stop, then ends as rank 0 asks. It runs no task itself.
    static func runSupervisor(communicator: Communicator, host: String) -> Never {
        let welcome: Welcome
        do {
            welcome = try Welcome.receive(on: communicator)
        } catch {
            printToStandardError("SwiftPool rank (\(host)): no welcome from rank 0: \(error); exiting")
            exitSupervisor(code: 1)
        }
        PoolProcess.setRank(welcome.rank)
        // Ctrl-C reaches the whole process group; rank 0 decides what it means and stops us.
        signal(SIGINT, SIG_IGN)
        let link = LifelineLink.open(welcome, host: host)
        let supervisor = Supervisor(
            communicator: communicator, host: host, link: link, direct: welcome.onRankZerosHost)
        let stopMode: StopMode
        do {
            stopMode = try supervisor.run(
                workers: welcome.firstWorkerRank..<welcome.firstWorkerRank + welcome.workerCount)
        } catch {
            printToStandardError("SwiftPool rank \(welcome.rank) (\(host)): \(error); exiting")
            supervisor.stopWorkers(.exitNow)
            exitSupervisor(code: 1)
        }
        supervisor.stopWorkers(stopMode)
        if stopMode == .finalize {
            try? communicator.free()
            finalize(within: 10_000_000_000) { 0 }
        }
        exitSupervisor(code: 0)
    }

    /// Open MPI writes to its TCP connections without asking the kernel to spare it SIGPIPE, so a
    /// write to a worker that just died would kill this process. Blocking the signal on the MPI
    /// thread (and on the threads Open MPI starts from it) turns it into an EPIPE error, which
    /// Open MPI handles; the program's own threads keep their disposition.
    static func blockBrokenPipeSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// `MPI_Finalize`, but a process lost while the job ends makes it wait forever: past
    /// `limitNanos` this process exits without it.
    static func finalize(within limitNanos: UInt64, exitStatus: @escaping @Sendable () -> Int32) {
        let done = Atomic<Bool>(false)
        let watchdog = DedicatedThread.start(stackBytes: 256 * 1024) {
            let deadline = monotonicNanos() &+ limitNanos
            while !done.load(ordering: .acquiring) {
                if monotonicNanos() >= deadline {
                    printToStandardError(
                        "SwiftPool: MPI_Finalize did not return within \(limitNanos / 1_000_000_000) s "
                            + "(a process of the job is gone); exiting without it")
                    fflush(nil)
                    _exit(exitStatus())
                }
                sleepNanos(10_000_000)
            }
        }
        try? MPIEnvironment.finalize()
        done.store(true, ordering: .releasing)
        watchdog.join()
    }

    /// Ends a supervisor at once after MPI is finalized. Its launcher may go away as soon as
    /// rank 0 exits and then signal what is left with SIGPIPE; so it ignores that signal, flushes
    /// what it printed, and exits without running exit handlers that could still be racing the
    /// launcher's daemon.
    static func exitSupervisor(code: Int32) -> Never {
        signal(SIGPIPE, SIG_IGN)
        fflush(nil)
        _exit(code)
    }
}
