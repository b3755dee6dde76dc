import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the MPI thread does once start-up has said what this process is: rank 0 of the plain start,
/// rank 0 under a launcher, or a worker; and how each ends.
extension PoolRuntime {
    /// Rank 0 of the plain start: starts `workers` processes of this executable, shares memory
    /// with each, schedules tasks until the program ends, then stops them.
    static func runSpawningExecutor(workers: Int, _ tell: @Sendable (StartupReport) -> Void) {
        blockBrokenPipeSignals()
        PoolProcess.setRank(0)
        let inbox = ExecutorInbox(workerCount: workers)
        let lifelines: LifelineMonitor
        let scheduler: Scheduler
        do {
            lifelines = try LifelineMonitor(
                addresses: [IPv4Endpoint.loopback.address], settings: .fromEnvironment(),
                report: { inbox.post(.lifeline($0)) })
        } catch {
            tell(.failed(asPoolError(error)))
            return
        }
        do {
            let recruiter = WorkerRecruiter(
                command: BuildFingerprint.executablePath, arguments: Array(CommandLine.arguments.dropFirst()))
            scheduler = try Scheduler(
                inbox: inbox,
                transport: .spawned(.init(count: workers, lifelines: lifelines, recruiter: recruiter)))
            scheduler.waitForWorkersToStart(timeoutNanos: lifelines.settings.connectNanos)
        } catch {
            lifelines.shutdown()
            tell(.failed(asPoolError(error)))
            return
        }
        tell(.executor(inbox))
        scheduler.run()
        _ = scheduler.stopWorkers()
        if scheduler.interruption != nil { scheduler.killSpawnedWorkers() }
        // A worker still busy when its lifeline closes ends itself, so none outlives the program.
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
                scheduler = try Scheduler(
                    inbox: inbox,
                    transport: .mpi(.init(communicator: communicator, peers: peers, lifelines: monitor)))
                LaunchPlan.warnIfDeathsEndTheJob(workers: size - 1)
            } else {
                lifelines = nil
                scheduler = try Scheduler(inbox: inbox, transport: .local(TaskRunner(rank: 0, host: host)))
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
            // Busy workers end themselves as their lifelines close; nobody waits for them.
            lifelines.shutdown()
            endsWithoutFinalize.store(true, ordering: .releasing)
        } else if clean && !lifelines.sawUnannouncedClosure {
            try? communicator.free()
            finalize(within: 10_000_000_000) { exitStatus.load(ordering: .relaxed) }
            lifelines.shutdown()
        } else {
            // The workers left exit at once; wait for their lifelines to close, so none outlives
            // the program, then end without MPI_Finalize.
            _ = lifelines.waitUntilAllClosed(timeoutNanos: 2_000_000_000)
            lifelines.shutdown()
            unreachableHosts.withLock { $0 = scheduler.unreachableHosts }
            endsWithoutFinalize.store(true, ordering: .releasing)
        }
    }

    /// A worker: waits for rank 0's welcome, connects its lifeline, serves tasks until rank 0 says
    /// stop, then ends as rank 0 asks.
    static func runWorker(communicator: Communicator, host: String) -> Never {
        let welcome: Welcome
        do {
            welcome = try Welcome.receive(on: communicator)
        } catch {
            printToStandardError("SwiftPool worker (\(host)): no welcome from rank 0: \(error); exiting")
            exitWorker(code: 1)
        }
        PoolProcess.setRank(welcome.rank)
        let lifeline = LifelineLink.open(welcome, host: host)
        let stopMode: StopMode
        do {
            var loop = WorkerLoop(
                connection: MPIWorkerConnection(communicator: communicator),
                runner: TaskRunner(rank: welcome.rank, host: host))
            stopMode = try loop.run()
        } catch {
            printToStandardError("SwiftPool worker rank \(welcome.rank) (\(host)): \(error); exiting")
            exit(1)  // the exit handler tells rank 0, which runs this worker's tasks elsewhere
        }
        lifeline.announceStop()
        if stopMode == .finalize {
            try? communicator.free()
            finalize(within: 10_000_000_000) { 0 }
        }
        exitWorker(code: 0)
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

    /// Ends a worker process at once after MPI is finalized. Its launcher may go away as soon as
    /// rank 0 exits (a spawned worker's daemon belongs to rank 0) and then signals what is left
    /// with SIGPIPE; so the worker ignores that signal, flushes what its tasks printed, and exits
    /// without running exit handlers that could still be racing the daemon.
    static func exitWorker(code: Int32) -> Never {
        DeathReporter.disarm()
        OutputForwarder.finish(timeoutNanos: 500_000_000)
        signal(SIGPIPE, SIG_IGN)
        fflush(nil)
        _exit(code)
    }
}
