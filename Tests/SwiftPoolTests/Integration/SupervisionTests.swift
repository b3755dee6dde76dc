import Foundation
import Testing

extension MPIRunTests {
    /// No process that MPI or the launcher knows about runs a task: whatever a task does ends at
    /// most its worker process, which its parent (rank 0 in the plain start, a supervisor rank
    /// under mpirun) replaces. Every job here runs with no recovery flag.
    @Suite("supervised workers")
    struct SupervisionTests {
        /// How each way of dying is named in the loss rank 0 reports.
        static let deaths: [(how: String, says: String)] = [
            ("sigkill", "was killed by SIGKILL"),
            ("fatalError", "was killed by SIGILL"),
            ("exit3", "exited with code 3"),
            ("_exit99", "exited with code 99"),
            ("segfault", "was killed by SIGSEGV"),
            ("timeout", "was stopped by rank 0 because its task ran past the pool's taskTimeout"),
        ]

        /// Checks what every `death-mid-map` job must show, whatever launched it.
        static func expectSurvived(_ job: MPIJob, how: String, says: String, launcher: String) throws {
            job.expectSuccess()
            let output = job.standardOutput + job.standardError
            #expect(try job.fact("death.correct", as: Bool.self), "\(launcher) \(how): the map lost results")
            #expect(try job.fact("death.crashed", as: Bool.self), "\(launcher) \(how): the task did not crash")
            let before = try job.fact("death.workersBefore", as: Int.self)
            #expect(try job.fact("death.workersAfter", as: Int.self) == before, "\(launcher) \(how)")
            #expect(try job.fact("death.allAlive", as: Bool.self), "\(launcher) \(how)")
            #expect(output.contains(says), "\(launcher) \(how): the loss is not named exactly:\n\(output)")
            if how == "timeout" {
                #expect(try job.fact("death.runaway", as: Outcome.self).poolCode == "timed out")
            }
            #expect(!output.contains("ended without a word"), "\(launcher) \(how)")
            #expect(job.leftovers.isEmpty, "\(launcher) \(how): processes left running: \(job.leftovers)")
        }

        @Test(
            "a worker killed, crashing, exiting or stopped by taskTimeout mid-map: every result, the pool keeps its size"
        )
        func everyDeathMidMap() throws {
            for (how, says) in Self.deaths {
                let alone = try MPIJob.runAlone(scenarios, arguments: ["death-mid-map", how])
                try Self.expectSurvived(alone, how: how, says: says, launcher: "plain start")
                let launched = try MPIJob.run(scenarios, processes: 3, arguments: ["death-mid-map", how])
                try Self.expectSurvived(launched, how: how, says: says, launcher: "mpirun -np 3")
            }
        }

        @Test("chaos under mpirun -np 3: a worker SIGKILLed every 250 ms while 8,000 tasks run")
        func chaosUnderMPIRun() throws {
            let job = try MPIJob.run(
                scenarios, processes: 3, arguments: ["chaos"], timeout: 240,
                environment: ["CHAOS_TASKS": "8000", "CHAOS_INTERVAL": "0.25", "CHAOS_MICROS": "1000"])
            try Self.expectChaosSurvived(job, workers: 2)
        }

        static func expectChaosSurvived(_ job: MPIJob, workers: Int) throws {
            job.expectSuccess()
            #expect(try job.fact("chaos.correct", as: Bool.self))
            #expect(try job.fact("chaos.settled", as: Int.self) == 8000)
            #expect(try job.fact("chaos.settledTwice", as: Int.self) == 0)
            #expect(try job.fact("chaos.killed", as: Int.self) >= 5)
            #expect(try job.fact("chaos.workersAfter", as: Int.self) == workers)
            #expect(job.leftovers.isEmpty, "processes left running: \(job.leftovers)")
        }

        /// Runs `print-and-exit` 200 times; says in how many runs the task's line was lost.
        static func runsLosingTheLine(underMPIRun: Bool) throws -> Int {
            var missing = 0
            for _ in 0..<200 {
                let job =
                    underMPIRun
                    ? try MPIJob.run(scenarios, processes: 3, arguments: ["print-and-exit"], timeout: 30)
                    : try MPIJob.runAlone(scenarios, arguments: ["print-and-exit"], timeout: 30)
                job.expectSuccess()
                if !job.standardOutput.contains("printed by the task before the program ended") { missing += 1 }
            }
            return missing
        }

        @Test("plain start: a line a task printed is written though the program exits at once (200 runs)")
        func outputAtExitPlainStart() throws {
            let missing = try Self.runsLosingTheLine(underMPIRun: false)
            #expect(missing == 0, "the line was lost in \(missing) of 200 runs")
        }

        @Test("mpirun -np 3: a line a task printed is written though the program exits at once (200 runs)")
        func outputAtExitUnderMPIRun() throws {
            let missing = try Self.runsLosingTheLine(underMPIRun: true)
            #expect(missing == 0, "the line was lost in \(missing) of 200 runs")
        }

        @Test("fatalError with the default retries: three crash reports reach rank 0 whole, every line tagged")
        func crashReportsTagged() throws {
            for (launcher, job) in [
                ("plain start", try MPIJob.runAlone(scenarios, arguments: ["crash", "fatalError"])),
                ("mpirun -np 3", try MPIJob.run(scenarios, processes: 3, arguments: ["crash", "fatalError"])),
            ] {
                job.expectSuccess()
                let lines = (job.standardOutput + job.standardError).split(separator: "\n").map(String.init)
                let crashes = lines.filter { $0.contains("Program crashed") }
                #expect(crashes.count == 3, "\(launcher): \(crashes)")
                // Every line of a crash report carries its worker's tag, and no line of rank 0's own
                // has a worker's bytes glued onto it.
                let reportLines = lines.filter {
                    $0.contains("Program crashed") || $0.contains("Backtracing") || $0.contains("Thread ")
                        || $0.contains("crashes its worker on purpose")
                }
                #expect(!reportLines.isEmpty)
                for line in reportLines {
                    #expect(line.hasPrefix("[rank "), "\(launcher): untagged: \(line)")
                }
                for line in lines where line.contains("warning SwiftPool") {
                    #expect(!line.contains("[rank "), "\(launcher): broken line: \(line)")
                }
            }
        }

        @Test("a worker holds only the descriptors it was handed, even after 100 replacements")
        func inheritedDescriptors() throws {
            for (launcher, job) in [
                ("plain start", try MPIJob.runAlone(scenarios, arguments: ["descriptors"], timeout: 120)),
                ("mpirun -np 3", try MPIJob.run(scenarios, processes: 3, arguments: ["descriptors"], timeout: 120)),
            ] {
                job.expectSuccess()
                #expect(try job.fact("descriptors.killed", as: Int.self) == 100)
                let sets = try job.fact("descriptors.sets", as: [[String]].self)
                #expect(!sets.isEmpty)
                for descriptors in sets {
                    #expect(
                        Array(descriptors.prefix(3)) == ["0 /dev/null", "1 pipe:", "2 pipe:"],
                        "\(launcher): \(descriptors)")
                    // Nothing of rank 0's or a supervisor's: no socket, no other pipe, no file.
                    for descriptor in descriptors.dropFirst(3) {
                        #expect(descriptor.contains("anon_inode:"), "\(launcher): inherited \(descriptor)")
                    }
                }
            }
        }

        @Test("a supervisor SIGKILLed under mpirun --enable-recovery: noticed within 1 s, its task runs elsewhere")
        func supervisorLost() throws {
            let job = try MPIJob.run(
                scenarios, processes: 3, arguments: ["detect", "SIGKILL", "supervisor"],
                extraMPIArguments: WorkerDeathTests.recovery)
            job.expectSuccess()
            let seconds = try job.fact("detect.seconds", as: Double.self)
            #expect(seconds < 1, "noticed after \(seconds) s")
            let outcome = try job.fact("detect.outcome", as: Outcome.self)
            #expect(outcome.poolCode == "worker lost")
            #expect(outcome.message?.contains("its supervisor") == true, "\(outcome.message ?? "")")
            #expect(try job.fact("detect.othersSucceeded", as: Bool.self))
            #expect(try job.fact("detect.mapAfter", as: Bool.self))
            // A lost MPI process cannot be replaced: the pool goes on with the other.
            #expect(try job.fact("detect.workersAfter", as: Int.self) == 1)
            #expect(job.leftovers.isEmpty, "processes left running: \(job.leftovers)")
        }

        @Test("SWIFTPOOL_WORKERS_PER_RANK: 2 workers behind one rank, one per core with cores, a bad value refused")
        func workersPerRank() throws {
            let two = try MPIJob.run(
                scenarios, processes: 2, arguments: ["start"], environment: ["SWIFTPOOL_WORKERS_PER_RANK": "2"])
            two.expectSuccess()
            #expect(try two.fact("start.workers", as: Int.self) == 2)
            #expect(try two.fact("start.ranks", as: [Int].self) == [1, 2])
            let cores = try MPIJob.run(
                scenarios, processes: 2, arguments: ["start"], environment: ["SWIFTPOOL_WORKERS_PER_RANK": "cores"],
                extraMPIArguments: ["--bind-to", "none"])
            cores.expectSuccess()
            #expect(try cores.fact("start.workers", as: Int.self) == SpawnTests.cores)
            let bad = try MPIJob.run(
                scenarios, processes: 2, arguments: ["start"], environment: ["SWIFTPOOL_WORKERS_PER_RANK": "lots"])
            let refused = try bad.fact("start.outcome", as: Outcome.self)
            #expect(refused.poolCode == "invalid argument")
            #expect(refused.message?.contains("SWIFTPOOL_WORKERS_PER_RANK on rank 1") == true, "\(refused)")
            #expect(bad.standardError.contains("\"lots\""), "\(bad.standardError)")
            #expect(bad.leftovers.isEmpty)
            // A worker killed among two behind one rank: replaced there, and the map is whole.
            let death = try MPIJob.run(
                scenarios, processes: 2, arguments: ["death-mid-map", "sigkill"],
                environment: ["SWIFTPOOL_WORKERS_PER_RANK": "2"])
            try Self.expectSurvived(death, how: "sigkill", says: "was killed by SIGKILL", launcher: "2 per rank")
        }
    }
}
