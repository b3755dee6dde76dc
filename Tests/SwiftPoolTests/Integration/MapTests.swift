import Testing

extension MPIRunTests {
    @Suite("map")
    struct MapTests {
        @Test("map returns results in input order for every chunk size", arguments: processCounts)
        func orderedMap(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["map"])
            job.expectSuccess()
            let squares = (0..<37).map { $0 * $0 }
            for chunk in ["chunk1", "chunk3", "chunk37", "chunk100", "auto"] {
                #expect(try job.fact("map.\(chunk)", as: [Int].self) == squares, "chunk size \(chunk)")
            }
            #expect(try job.fact("map.range", as: [Int].self) == (1...10).map { $0 * $0 })
            #expect(try job.fact("map.empty", as: [Int].self) == [])
            #expect(try job.fact("map.generic", as: [String].self) == ["a", "b", "c"])
            #expect(try job.fact("map.async", as: [Int].self) == [2, 4, 6])
            let badChunk = try job.fact("map.badChunk", as: Outcome.self)
            #expect(badChunk.poolCode == "invalid argument")
            #expect(badChunk.message?.contains("chunkSize must be at least 1") == true)
        }

        @Test("a map past its timeout throws timedOut at the timeout and the pool serves on", arguments: [1, 3])
        func timeout(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["map-timeout"])
            job.expectSuccess()
            let outcome = try job.fact("timeout.outcome", as: Outcome.self)
            #expect(outcome.poolCode == "timed out")
            #expect(outcome.message?.contains("map did not finish within 0.2 seconds") == true)
            let seconds = try job.fact("timeout.seconds", as: Double.self)
            #expect(seconds >= 0.2 && seconds < 0.45, "threw after \(seconds) s")
            #expect(try job.fact("timeout.after", as: [Int].self) == [16])
        }

        @Test("the first failing item in input order is the map's error", arguments: processCounts)
        func failingItem(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["map-failing-item"])
            job.expectSuccess()
            for chunk in [1, 5, 40] {
                let outcome = try job.fact("failing.chunk\(chunk)", as: Outcome.self)
                #expect(outcome.errorKind == "RemoteError")
                #expect(outcome.remote?.message == "item 7 is not allowed", "chunk size \(chunk)")
                #expect(outcome.remote?.errorType == "PoolScenarios.ItemError")
            }
            #expect(try job.fact("failing.after", as: [Int].self) == [25])
        }

        @Test("the streaming map reads an endless input lazily, in order or as finished", arguments: processCounts)
        func stream(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["stream"])
            job.expectSuccess()
            #expect(try job.fact("stream.orderedPrefix", as: [Int].self) == (1...10).map { $0 * $0 })
            #expect(try job.fact("stream.orderedAll", as: Bool.self))
            #expect(try job.fact("stream.unorderedSorted", as: Bool.self))
            #expect(try job.fact("stream.unorderedCount", as: Int.self) == 1000)
            let failure = try job.fact("stream.failure", as: Outcome.self)
            #expect(failure.remote?.message == "item 300 is not allowed")
        }

        @Test("tasks really run on every worker rank", arguments: processCounts)
        func everyWorker(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["every-worker"])
            job.expectSuccess()
            #expect(try job.fact("every.items", as: [Int].self) == Array(0..<40))
            let expectedRanks = processes == 1 ? [0] : Array(1..<processes)
            #expect(try job.fact("every.ranks", as: [Int].self) == expectedRanks)
            #expect(try job.fact("every.workers", as: Int.self) == max(processes - 1, 1))
        }
    }
}
