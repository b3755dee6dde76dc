import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

extension PoolRuntime {
    /// Starts rank 0's runtime over simulated workers (``SimulatedTransport``) in place of real
    /// ones: pools created from now on use them. Only before the first pool.
    static func startSimulation(workers: Int, taskNanos: UInt64) throws -> SimulationControl {
        guard workers > 0 else {
            throw PoolError(.invalidArgument, "a simulation needs at least one worker, not \(workers)")
        }
        return try state.withLock { state in
            guard case .notStarted = state else {
                throw PoolError(.invalidArgument, "a simulation must start before the program's first pool")
            }
            let control = SimulationControl()
            let inbox = ExecutorInbox(workerCount: workers)
            let started = DispatchSemaphore(value: 0)
            let thread = DedicatedThread.start {
                PoolProcess.setRank(0)
                let scheduler = Scheduler.simulated(
                    inbox: inbox, workers: workers, taskNanos: taskNanos, control: control)
                scheduler.waitForWorkersToStart(timeoutNanos: 600_000_000_000)
                started.signal()
                scheduler.run()
                _ = scheduler.stopWorkers()
            }
            started.wait()
            let runtime = PoolRuntime(inbox: inbox, thread: thread)
            state = .executor(runtime)
            on_exit({ status, _ in PoolRuntime.finishAtExit(status: status) }, nil)
            return control
        }
    }
}

extension Scheduler {
    /// Simulated workers, answering each task `taskNanos` after they can start it.
    static func simulated(inbox: ExecutorInbox, workers count: Int, taskNanos: UInt64, control: SimulationControl)
        -> Scheduler
    {
        let transport = SimulatedTransport(taskNanos: taskNanos, control: control)
        let scheduler = Scheduler(
            inbox: inbox, transport: transport, maxLoad: maxTasksPerWorkerAtOnce, startAllowanceNanos: nil)
        // Simulated workers never fail to start.
        try? transport.startWorkers(in: Array(0..<count), asReplacements: false, for: scheduler)
        scheduler.updateWorkerCount()
        return scheduler
    }
}
