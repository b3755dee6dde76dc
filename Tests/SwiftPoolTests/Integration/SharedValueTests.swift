import Testing

extension MPIRunTests {
    @Suite("shared values")
    struct SharedValueTests {
        @Test(
            "a shared table reaches each worker once however many tasks use it; misuse is refused", arguments: [1, 3])
        func sentOncePerWorker(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["shared"])
            job.expectSuccess()
            try checkSharing(job, remoteWorkers: processes > 1)
        }

        @Test("in the plain start, a worker that replaces a lost one receives the shared value too")
        func replacementReceivesIt() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["shared", "kill"])
            job.expectSuccess()
            try checkSharing(job, remoteWorkers: true)
            #expect(try job.fact("replace.correct", as: Bool.self))
            #expect(try job.fact("replace.newRank", as: Bool.self))
            // The replacement, and no other worker, was sent the table again.
            #expect(try job.fact("replace.sent", as: Int.self) == 1)
        }

        private func checkSharing(_ job: MPIJob, remoteWorkers: Bool) throws {
            let valueBytes = try job.fact("shared.valueBytes", as: Int.self)
            let ranks = try job.fact("shared.ranks", as: [Int].self)
            #expect(try job.fact("shared.correct", as: Bool.self))
            #expect(try job.fact("shared.mapCorrect", as: Bool.self))
            #expect(try job.fact("plain.correct", as: Bool.self))
            // Rank 0 sent the table once to each worker that ran a task, never with a task; the
            // map after them sent it to nobody. In-process, nothing is sent at all.
            let sent = try job.fact("shared.sent", as: Int.self)
            let bytes = try job.fact("shared.bytes", as: Int.self)
            #expect(sent == (remoteWorkers ? ranks.count : 0))
            #expect(try job.fact("shared.sentBytes", as: Int.self) >= sent * valueBytes)
            #expect(bytes < sent * valueBytes + 1_000_000, "200 tasks sent \(bytes) bytes")
            #expect(try job.fact("shared.mapSent", as: Int.self) == 0)
            // The same table as a plain property travels with each of 20 tasks.
            let plainBytes = try job.fact("plain.bytes", as: Int.self)
            #expect(remoteWorkers ? plainBytes >= 20 * valueBytes : plainBytes == 0)
            #expect(try job.fact("shared.glossary", as: [String].self) == ["chat v3", "chien v3", "? v3"])

            for name in ["shared.otherPool", "shared.otherMap"] {
                let refused = try job.fact(name, as: Outcome.self)
                #expect(refused.poolCode == "invalid argument", "\(name)")
                #expect(refused.message?.contains("of pool 1, but was given to pool 2") == true, "\(name)")
            }
            let otherRelease = try job.fact("shared.otherRelease", as: Outcome.self)
            #expect(otherRelease.message?.contains("cannot be released by pool 2: it belongs to pool 1") == true)

            // Releasing tells each worker holding the table to drop it: one frame each, then the
            // task that followed.
            let holders = try job.fact("release.holders", as: Int.self)
            #expect(try job.fact("release.frames", as: Int.self) == (remoteWorkers ? holders + 1 : 0))
            let afterRelease = try job.fact("release.submit", as: Outcome.self)
            #expect(afterRelease.poolCode == "invalid argument")
            #expect(afterRelease.message?.contains("which was released") == true)
            #expect(try job.fact("release.valueHere", as: Double.self) == 5)
            #expect(try job.fact("release.glossaryStillWorks", as: String.self) == "chien v3")
        }
    }
}
