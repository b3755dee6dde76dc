import SwiftPool

enum ErrorScenarios {
    /// A task's error comes back as a RemoteError naming rank, host and message; the pool serves on.
    static func remoteError(_ pool: MPIPoolExecutor) throws {
        let failing = try pool.submit(FailOn(failing: [3]), 3)
        Report.fact("remote.outcome", Report.outcome { try failing.result() })
        Report.fact("remote.next", try pool.submit(Square(), 9).result())
        Report.fact("remote.localHost", PoolProcess.hostName)
    }

    /// An argument, result or function that cannot cross the boundary fails only its own future.
    static func codingFailures(_ pool: MPIPoolExecutor) throws {
        let before = try pool.submit(Square(), 2)
        let badArgument = try pool.submit(AcceptUnencodable(), Unencodable())
        let badResult = try pool.submit(ReturnUnencodable(), 1)
        let undecodable = try pool.submit(ReturnUndecodable(), 1)
        let after = try pool.submit(Square(), 3)
        Report.fact("coding.before", Report.outcome { try before.result() })
        Report.fact("coding.argument", Report.outcome { try badArgument.result() })
        Report.fact("coding.result", Report.outcome { try badResult.result() })
        Report.fact("coding.undecodable", Report.outcome { try undecodable.result() })
        Report.fact("coding.after", Report.outcome { try after.result() })
        // Inside a map, the error names the program's own item type, not SwiftPool's wrapper.
        Report.fact("coding.inMap", Report.outcome { try pool.map(AcceptUnencodable(), [Unencodable()]) })
    }

    /// A type that cannot be found by name is refused at submit, on rank 0.
    static func unknownType(_ pool: MPIPoolExecutor) throws {
        Report.fact("unknown.private", Report.outcome { try submitHiddenFunction(pool) })
        struct LocalSquare: RemoteFunction {
            func callAsFunction(_ x: Int) -> Int { x * x }
        }
        Report.fact("unknown.local", Report.outcome { try pool.submit(LocalSquare(), 3) })
        Report.fact("unknown.after", try pool.submit(Square(), 4).result())
    }

    /// An initializer that throws breaks the pool: pending and later work fails, nothing hangs.
    static func initializerFailure() throws {
        try MPIPoolExecutor.run(initializer: FailingInitializer()) { pool in
            // Each submission fails: its future with brokenPool, or, once the pool knows it is
            // broken, the submit call itself.
            let outcomes = (0..<6).map { item in Report.outcome { try pool.submit(Square(), item).result() } }
            Report.fact("init.futures", outcomes)
            Report.fact("init.laterSubmit", Report.outcome { try pool.submit(Square(), 1) })
            Report.fact("init.laterMap", Report.outcome { try pool.map(Square(), [1, 2]) })
        }
        // Other pools, sharing the same workers, are unaffected.
        try MPIPoolExecutor.run(initializer: SetGreeting(greeting: "hello from the initializer")) { pool in
            Report.fact("init.greetings", try pool.map(ReadGreetingFor(), Array(0..<8), chunkSize: 1))
        }
    }
}

/// Reads the greeting an initializer left in this worker process.
struct ReadGreetingFor: RemoteFunction {
    func callAsFunction(_ item: Int) -> String { ReadGreeting()() }
}
