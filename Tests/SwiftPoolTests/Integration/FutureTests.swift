import Testing

extension MPIRunTests {
    @Suite("futures")
    struct FutureTests {
        @Test(
            "futures: result, value, timeouts, cancel, state, error(), wait and asCompleted", arguments: processCounts)
        func futures(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["futures"])
            job.expectSuccess()
            #expect(try job.fact("future.result", as: Int.self) == 49)
            #expect(try job.fact("future.doneAfterResult", as: Bool.self))
            #expect(try job.fact("future.cancelQueued", as: Bool.self))
            #expect(try job.fact("future.isCancelled", as: Bool.self))
            #expect(try job.fact("future.cancelledResult", as: Outcome.self).poolCode == "cancelled")
            #expect(try job.fact("future.blockerRunning", as: Bool.self))
            #expect(try job.fact("future.cancelRunning", as: Bool.self) == false)
            #expect(try job.fact("future.resultTimeout", as: Outcome.self).poolCode == "timed out")
            #expect(try job.fact("future.errorMethod", as: String.self).contains("item 1 is not allowed"))
            #expect(try job.fact("future.errorNil", as: String.self) == "nil")
            #expect(try job.fact("wait.firstCompleted", as: [Bool].self) == [true])
            #expect(try job.fact("wait.allCompleted", as: [Int].self) == [2, 0])
            #expect(try job.fact("wait.firstException", as: [Bool].self) == [true, true])
            #expect(try job.fact("wait.timeout", as: [Int].self) == [0, 1])
            if processes == 3 {
                // With two workers the three sleeps overlap, so they finish shortest first.
                #expect(try job.fact("asCompleted.order", as: [Int].self) == [1, 2, 0])
            } else {
                #expect(try job.fact("asCompleted.order", as: [Int].self).sorted() == [0, 1, 2])
            }
            #expect(try job.fact("asCompleted.timeout", as: Outcome.self).poolCode == "timed out")
        }

        @Test("done callbacks fire exactly once, at once when already done, despite one throwing")
        func callbacks() throws {
            let job = try MPIJob.run(scenarios, processes: 2, arguments: ["callbacks"])
            job.expectSuccess()
            #expect(try job.fact("callbacks.beforeDone", as: [String].self) == [])
            #expect(try job.fact("callbacks.lateRanAtOnce", as: Bool.self))
            #expect(try job.fact("callbacks.all", as: [String].self) == ["first", "third:11"])
            #expect(job.standardError.contains("a done callback of Future(finished: 11) threw ItemError"))
        }

        @Test("10,000 submitted tasks each resolve exactly once with the right value", arguments: processCounts)
        func manyTasks(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["many-tasks"])
            job.expectSuccess()
            #expect(try job.fact("many.count", as: Int.self) == 10_000)
            #expect(try job.fact("many.wrongValues", as: Int.self) == 0)
            #expect(try job.fact("many.resolvedOnce", as: Int.self) == 10_000)
            #expect(try job.fact("many.resolvedOther", as: Int.self) == 0)
        }
    }
}
