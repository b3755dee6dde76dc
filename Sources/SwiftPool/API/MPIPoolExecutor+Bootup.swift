extension MPIPoolExecutor {
    /// Starts every worker this pool may use and runs its initializer on each, then returns
    /// (mpi4py's `executor.bootup(wait=True)`): a failing initializer shows up here, not at the
    /// first task, and the first map's timing no longer includes start-up. Calling it again is
    /// cheap.
    ///
    /// - Throws: ``PoolError/Code/brokenPool`` when the initializer fails (the pool is then
    ///   broken), ``PoolError/Code/shutDown`` after ``shutdown(wait:cancelFutures:)``.
    @available(*, noasync, message: "blocks the thread; use `await pool.bootup()` in async code")
    public func bootup() throws {
        _ = try startBootup().result()
    }

    /// Starts every worker this pool may use and runs its initializer on each, suspending until
    /// they are ready. See the blocking `bootup()`.
    public func bootup() async throws {
        _ = try await startBootup().value
    }

    private func startBootup() throws -> Future<NoOutput> {
        try checkAcceptsWork("boot up")
        let done = Future<NoOutput>(tracker: nil)
        runtime.inbox.post(.bootup(pool: id, done: done))
        return done
    }
}
