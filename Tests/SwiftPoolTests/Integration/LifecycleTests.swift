import Testing

extension MPIRunTests {
    @Suite("pool lifetime")
    struct LifecycleTests {
        @Test("after shutdown, submit and map are refused", arguments: [1, 2])
        func submitAfterShutdown(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["shutdown"])
            job.expectSuccess()
            #expect(try job.fact("shutdown.before", as: Int.self) == 9)
            for name in ["shutdown.submit", "shutdown.map"] {
                let outcome = try job.fact(name, as: Outcome.self)
                #expect(outcome.poolCode == "shut down")
                #expect(outcome.message?.contains("create a new pool") == true)
            }
        }

        @Test("shutdown(cancelFutures:) cancels queued futures and wakes their waiters", arguments: [2, 3])
        func cancelAtShutdown(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["cancel-at-shutdown"])
            job.expectSuccess()
            #expect(try job.fact("cancel.waiterWoken", as: Bool.self))
            #expect(try job.fact("cancel.waiterOutcome", as: Outcome.self).poolCode == "cancelled")
            #expect(try job.fact("cancel.runningBeforeShutdown", as: Int.self) >= processes - 1)
            #expect(try job.fact("cancel.consistent", as: Bool.self))
            #expect(try job.fact("cancel.queuedCancelled", as: Int.self) == 20)
            #expect(try job.fact("cancel.queuedDone", as: Int.self) == 20)
            // Only the running tasks (0.5 s) are waited for, not the 20 queued ones.
            #expect(try job.fact("cancel.shutdownSeconds", as: Double.self) < 2)
        }

        @Test("several pools, one after another and at once, share the workers", arguments: processCounts)
        func severalPools(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["several-pools"])
            job.expectSuccess()
            for round in 0..<3 {
                #expect(
                    try job.fact("pools.sequential\(round)", as: [Int].self) == [
                        round * round, (round + 1) * (round + 1),
                    ])
            }
            #expect(try job.fact("pools.concurrent", as: [String: Bool].self) == ["first": true, "second": true])
            #expect(try job.fact("pools.limitedRanks", as: [Int].self) == [processes == 1 ? 0 : 1])
            #expect(try job.fact("pools.limitedWorkers", as: Int.self) == 1)
        }

        @Test("a 100 MB argument makes the round trip intact", arguments: [1, 2])
        func bigArgument(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["big-argument"], timeout: 120)
            job.expectSuccess()
            #expect(try job.fact("big.bytes", as: Int.self) == 100_000_000)
            #expect(try job.fact("big.identical", as: Bool.self))
            #expect(try job.fact("big.remoteSum", as: Bool.self))
            #expect(try job.fact("big.unreadOutcome", as: Outcome.self).poolCode == "decoding failed")
            #expect(try job.fact("big.afterUnread", as: Bool.self))
        }

        @Test("a function with no argument is submitted alone")
        func noArgument() throws {
            let job = try MPIJob.run(scenarios, processes: 2, arguments: ["no-argument"])
            job.expectSuccess()
            #expect(try job.fact("noarg.rank", as: Int.self) == 1)
            #expect(try job.fact("noarg.hostMatches", as: Bool.self))
        }

        @Test("an idle pool sleeps instead of burning a core")
        func idleCPU() throws {
            let job = try MPIJob.run(scenarios, processes: 3, arguments: ["idle-cpu"])
            job.expectSuccess()
            let percent = try job.fact("idle.percentByRank", as: [String: Double].self)
            #expect(Set(percent.keys) == ["0", "1", "2"])
            // A process blocked in MPI would show ~100 %; the backoff keeps each near 1 %.
            for (rank, value) in percent { #expect(value < 10, "rank \(rank) used \(value) % of a core while idle") }
        }

        @Test("a body that throws still drains the pool, and the program's exit code reaches mpirun")
        func exitCode() throws {
            let job = try MPIJob.run(scenarios, processes: 2, arguments: ["exit-code"])
            #expect(!job.timedOut)
            #expect(job.exitCode == 3)
            #expect(try job.fact("exit.caught", as: String.self) == "item 42 is not allowed")
        }
    }
}
