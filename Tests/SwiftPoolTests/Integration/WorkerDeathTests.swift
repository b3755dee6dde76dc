import Foundation
import Testing

extension MPIRunTests {
    /// Worker processes that die while the pool runs, on every launch path: killed by PID from
    /// the program on rank 0, crashing inside a task, cut off from the network, stuck forever.
    /// No launcher needs a flag for a worker's death; only losing an MPI process (a supervisor)
    /// needs mpirun's recovery.
    @Suite("worker deaths")
    struct WorkerDeathTests {
        /// mpirun's flag that keeps the other ranks running when one dies.
        static let recovery = ["--enable-recovery"]

        /// Checks the facts every `fault-map` run must report, whatever launched it.
        static func expectMapSurvived(_ job: MPIJob, workers: Int, replaced: Bool) throws {
            #expect(try job.fact("faultmap.correct", as: Bool.self), "the map lost or mixed up results")
            #expect(try job.fact("faultmap.killedDuringMap", as: Bool.self), "the kill did not land mid-map")
            #expect(try job.fact("faultmap.victimServedBefore", as: Bool.self))
            #expect(try job.fact("faultmap.victimGone", as: Bool.self))
            let before = try job.fact("faultmap.ranksBefore", as: [Int].self)
            let after = try job.fact("faultmap.ranksAfter", as: [Int].self)
            #expect(before == Array(1...workers))
            if replaced {
                // The pool keeps its size: the lost rank 1 is replaced by a new rank.
                #expect(after.count == workers)
                #expect(!after.contains(1) && after.contains { $0 > workers })
            } else {
                #expect(after == Array(2...workers))
            }
            #expect(job.leftovers.isEmpty, "processes left running: \(job.leftovers)")
        }

        @Test("plain start: a worker SIGKILLed mid-map is replaced, and the map returns every result")
        func killDuringMapPlainStart() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["fault-map"])
            job.expectSuccess()
            try Self.expectMapSurvived(job, workers: SpawnTests.cores, replaced: true)
        }

        @Test("plain start: Ctrl-C (SIGINT to the process group) mid-map ends every process within 1 s")
        func controlC() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["ctrl-c"], timeout: 30)
            let ended = Date().timeIntervalSince1970
            #expect(!job.timedOut)
            #expect(job.exitCode != 0)
            #expect((try? job.fact("ctrlc.mapEnded", as: Bool.self)) == nil, "the map finished after Ctrl-C")
            // The job's output pipes close only when every process holding them has ended.
            let signalled = try job.fact("ctrlc.at", as: Double.self)
            #expect(ended - signalled < 1, "everything ended \(ended - signalled) s after SIGINT")
            let workers = try job.fact("ctrlc.processes", as: [Int32].self)
            #expect(workers.count == SpawnTests.cores)
            #expect(workers.allSatisfy { !Leftovers.isAlive($0) })
            #expect(job.leftovers.isEmpty)
        }

        @Test("mpirun -np 3 with no flag: a worker SIGKILLed mid-map is replaced, and the map returns every result")
        func killDuringMapUnderMPIRun() throws {
            let job = try MPIJob.run(scenarios, processes: 3, arguments: ["fault-map"])
            job.expectSuccess()
            try Self.expectMapSurvived(job, workers: 2, replaced: true)
            // No advice about flags, and no alarm about a clean end after a replacement.
            #expect(!job.standardError.contains("--enable-recovery"), "\(job.standardError)")
            #expect(!job.standardError.contains("Connection refused"), "\(job.standardError)")
            #expect(!job.standardError.contains("closed its lifeline"), "\(job.standardError)")
        }

        @Test("a task that calls fatalError, exit(3), _exit(99) or segfaults fails alone, its end named exactly")
        func crashWithoutRetries() throws {
            let cases: [(how: String, says: String)] = [
                ("fatalError", "killed by SIGILL"), ("exit3", "exited with code 3"), ("_exit99", "exited with code 99"),
                ("segfault", "killed by SIGSEGV"),
            ]
            for (how, says) in cases {
                for (launcher, job) in [
                    ("plain start", try MPIJob.runAlone(scenarios, arguments: ["crash", how, "0"])),
                    ("mpirun", try MPIJob.run(scenarios, processes: 3, arguments: ["crash", how, "0"])),
                ] {
                    job.expectSuccess()
                    let deadly = try job.fact("crash.deadly", as: Outcome.self)
                    #expect(deadly.poolCode == "worker lost", "\(launcher) \(how)")
                    #expect(deadly.message?.contains(says) == true, "\(launcher) \(how): \(deadly.message ?? "")")
                    #expect(deadly.message?.contains("on host \(ProcessInfo.processInfo.hostName)") == true)
                    #expect(deadly.message?.contains("ran once") == true, "\(how): \(deadly.message ?? "")")
                    #expect(try job.fact("crash.othersCorrect", as: Bool.self), "\(launcher) \(how)")
                    let workers = launcher == "mpirun" ? 2 : SpawnTests.cores
                    #expect(try job.fact("crash.workersAfter", as: Int.self) == workers, "\(launcher) \(how)")
                    #expect(job.leftovers.isEmpty)
                }
            }
        }

        @Test("with the default maxRetries, a task that always crashes fails after 3 runs and the rest succeed")
        func crashWithRetries() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["crash", "fatalError"])
            job.expectSuccess()
            let deadly = try job.fact("crash.deadly", as: Outcome.self)
            #expect(deadly.poolCode == "worker lost")
            #expect(deadly.message?.contains("ran 3 times") == true, "\(deadly.message ?? "")")
            #expect(deadly.message?.contains("maxRetries: 2") == true)
            #expect(try job.fact("crash.othersCorrect", as: Bool.self))
            #expect(try job.fact("crash.workersAfter", as: Int.self) == SpawnTests.cores)
            #expect(job.leftovers.isEmpty)
        }

        @Test(
            "with every supervisor killed (mpirun --enable-recovery), pending futures fail with brokenPool and the program exits within 2 s"
        )
        func allWorkersDead() throws {
            let job = try MPIJob.run(scenarios, processes: 3, arguments: ["all-dead"], extraMPIArguments: Self.recovery)
            let ended = Date().timeIntervalSince1970
            job.expectSuccess()
            #expect(try job.fact("alldead.failureCodes", as: [String].self) == ["broken pool"])
            let message = try job.fact("alldead.message", as: String?.self) ?? ""
            #expect(
                message.contains("every worker is gone") && message.contains("rank 1") && message.contains("rank 2"))
            #expect(try job.fact("alldead.laterSubmit", as: Outcome.self).poolCode == "broken pool")
            #expect(try job.fact("alldead.laterMap", as: Outcome.self).poolCode == "broken pool")
            let bodyReturned = try job.fact("alldead.bodyReturnedAt", as: Double.self)
            #expect(ended - bodyReturned < 2, "the job ended \(ended - bodyReturned) s after the body returned")
            #expect(job.leftovers.isEmpty)
        }

        @Test("taskTimeout stops a task that never ends; the future fails with timedOut and the pool keeps its size")
        func taskTimeout() throws {
            for (job, workersAfter) in [
                (try MPIJob.runAlone(scenarios, arguments: ["task-timeout"]), SpawnTests.cores),
                (try MPIJob.run(scenarios, processes: 3, arguments: ["task-timeout"]), 2),
            ] {
                job.expectSuccess()
                let stuck = try job.fact("timeout.stuck", as: Outcome.self)
                #expect(stuck.poolCode == "timed out")
                #expect(stuck.message?.contains("RunForever") == true && stuck.message?.contains("taskTimeout") == true)
                let seconds = try job.fact("timeout.stuckSeconds", as: Double.self)
                #expect(seconds >= 1 && seconds < 5, "stopped after \(seconds) s")
                #expect(try job.fact("timeout.others", as: [Int].self) == (0..<10).map { $0 * $0 })
                #expect(try job.fact("timeout.workersAfter", as: Int.self) == workersAfter)
                #expect(job.leftovers.isEmpty)
            }
        }

        @Test("a replacement that dies before it is ready is a crash loop: not replaced again, and the pool breaks")
        func crashLoop() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["crash-loop"])
            job.expectSuccess()
            let outcome = try job.fact("crashloop.outcome", as: Outcome.self)
            #expect(outcome.poolCode == "broken pool")
            #expect(outcome.message?.contains("killed by SIGILL") == true)
            #expect(job.standardError.contains("crash loop, so it is not replaced again"))
            #expect(job.leftovers.isEmpty)
        }

        /// Why a memory cgroup cannot be made here, or nil when it can.
        static var memoryCgroupsUnavailableReason: String? {
            if getuid() != 0 { return "memory cgroups need root (CI runs as root)" }
            for (parent, limit) in [
                ("/sys/fs/cgroup/memory", "memory.limit_in_bytes"), ("/sys/fs/cgroup", "memory.max"),
            ] {
                let probe = "\(parent)/swiftpool-probe-\(getpid())"
                guard mkdir(probe, 0o755) == 0 else { continue }
                defer { rmdir(probe) }
                if FileManager.default.fileExists(atPath: "\(probe)/\(limit)") { return nil }
            }
            return "no writable memory cgroup (v1 or v2) on this machine"
        }

        @Test(
            "the kernel's OOM killer ends a worker: noticed at once, and only its task fails",
            .enabled(
                if: Self.memoryCgroupsUnavailableReason == nil, "\(Self.memoryCgroupsUnavailableReason ?? "")"))
        func outOfMemory() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["oom"])
            job.expectSuccess()
            #expect(try job.fact("oom.available", as: Bool.self))
            #expect(try job.fact("oom.admitted", as: Bool.self))
            #expect(try job.fact("oom.kills", as: Int.self) == 1, "the OOM killer did not act")
            let outcome = try job.fact("oom.outcome", as: Outcome.self)
            #expect(outcome.poolCode == "worker lost")
            #expect(outcome.message?.contains("OOM killer") == true)
            #expect(try job.fact("oom.seconds", as: Double.self) < 5)
            #expect(try job.fact("oom.after", as: Bool.self))
            #expect(job.leftovers.isEmpty)
        }

        @Test("chaos: a ready worker killed every 200 ms while 100,000 tasks run; each resolves once, rightly")
        func chaos() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["chaos"], timeout: 240)
            job.expectSuccess()
            #expect(try job.fact("chaos.correct", as: Bool.self))
            #expect(try job.fact("chaos.settled", as: Int.self) == 100_000)
            #expect(try job.fact("chaos.settledTwice", as: Int.self) == 0)
            #expect(try job.fact("chaos.killed", as: Int.self) >= 5)
            let pids = try job.fact("chaos.processes", as: [Int32].self)
            #expect(pids.allSatisfy { !Leftovers.isAlive($0) })
            #expect(job.leftovers.isEmpty, "processes left running: \(job.leftovers)")
        }

        @Test("the plain start listens on no port: its workers are its own children")
        func plainStartListensNowhere() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["lifeline-guard"])
            job.expectSuccess()
            #expect(try job.fact("guard.listeners", as: [String].self) == [])
            #expect(try job.fact("guard.map", as: Bool.self))
        }

        @Test("under mpirun the lifeline listener closes connections with a wrong secret, garbage, or nothing at all")
        func lifelineRefusesStrangers() throws {
            let job = try MPIJob.run(scenarios, processes: 3, arguments: ["lifeline-guard"])
            job.expectSuccess()
            try Self.expectStrangersRefused(job, addresses: ["127.0.0.1"])
        }

        /// SwiftPool's listeners are the ones bound to a specific address (Open MPI's own bind to
        /// every address): each closes a stranger's connection at once, or after 2 s of silence.
        static func expectStrangersRefused(_ job: MPIJob, addresses: Set<String>) throws {
            let listeners = try job.fact("guard.listeners", as: [String].self).filter { !$0.hasPrefix("0.0.0.0:") }
            #expect(Set(listeners.map { String($0.split(separator: ":")[0]) }) == addresses)
            let closed = try job.fact("guard.closedAfterSeconds", as: [String: Double?].self)
            for listener in listeners {
                for attempt in ["wrong secret", "garbage"] {
                    let seconds = closed["\(listener) \(attempt)"] ?? nil
                    #expect(seconds.map { $0 < 1 } == true, "\(listener) \(attempt): \(String(describing: seconds))")
                }
                let silence = closed["\(listener) silence"] ?? nil
                #expect(
                    silence.map { $0 >= 1.5 && $0 < 4 } == true, "\(listener) silence: \(String(describing: silence))")
            }
            #expect(try job.fact("guard.sameWorkers", as: Bool.self))
            #expect(try job.fact("guard.map", as: Bool.self))
        }
    }

    /// Worker deaths across the three network-namespace hosts.
    @Suite(
        "worker deaths across hosts",
        .enabled(if: FakeHosts.unavailableReason == nil, "\(FakeHosts.unavailableReason ?? "")"))
    struct WorkerDeathAcrossHostsTests {
        @Test("a worker SIGKILLed mid-map on another host is replaced there; the map returns every result")
        func killDuringMap() throws {
            try FakeHosts.with { hosts in
                let job = try hosts.mpirun(scenarios, processes: 4, arguments: ["fault-map"])
                job.expectSuccess()
                try WorkerDeathTests.expectMapSurvived(job, workers: 3, replaced: true)
            }
        }

        @Test("chaos over three hosts, two workers per rank: relayed workers killed too; every future right, full size")
        func chaosAcrossHosts() throws {
            try FakeHosts.with { hosts in
                let job = try hosts.mpirun(
                    scenarios, processes: 4, arguments: ["chaos"],
                    options: [
                        "-x", "SWIFTPOOL_WORKERS_PER_RANK", "-x", "CHAOS_TASKS", "-x", "CHAOS_INTERVAL", "-x",
                        "CHAOS_MICROS",
                    ],
                    environment: [
                        "SWIFTPOOL_WORKERS_PER_RANK": "2", "CHAOS_TASKS": "8000", "CHAOS_INTERVAL": "0.25",
                        "CHAOS_MICROS": "1000",
                    ])
                job.expectSuccess()
                #expect(try job.fact("chaos.correct", as: Bool.self))
                #expect(try job.fact("chaos.settled", as: Int.self) == 8000)
                #expect(try job.fact("chaos.settledTwice", as: Int.self) == 0)
                #expect(try job.fact("chaos.killed", as: Int.self) >= 3)
                #expect(try job.fact("chaos.workersAfter", as: Int.self) == 6)
                // Workers on the other hosts, reached through their supervisors' relay, were lost too.
                let output = job.standardError + job.standardOutput
                #expect(output.contains("on host h2") || output.contains("on host h3"), "\(output)")
            }
        }

        @Test("a host's link taken down: noticed within 5 s, its task runs on another host, the job ends")
        func linkDown() throws {
            try FakeHosts.with { hosts in
                let job = try hosts.mpirun(
                    scenarios, processes: 4, arguments: ["link-down"], options: ["--enable-recovery"], timeout: 90)
                #expect(!job.timedOut, "mpirun did not end:\n\(job.standardOutput)\n\(job.standardError)")
                #expect(try job.fact("linkdown.done", as: Bool.self))
                #expect(try job.fact("linkdown.allItems", as: Bool.self))
                #expect(try job.fact("linkdown.hostsBefore", as: [String].self) == ["h1", "h2", "h3"])
                #expect(try job.fact("linkdown.finishedOn", as: [String].self) == ["h1", "h2"])
                #expect(try job.fact("linkdown.hostsAfter", as: [String].self) == ["h1", "h2"])
                let noticed = try job.fact("linkdown.rerunAfterSeconds", as: Double.self)
                #expect(noticed > 0 && noticed < 5, "re-ran \(noticed) s after the cut")
                // mpirun would wait for h3's daemon forever; rank 0 ended it, which makes it exit 1.
                #expect(job.exitCode == 1)
                // The worker on h3 ends itself when rank 0 falls silent; h3's Open MPI daemon,
                // cut off, stays until the hosts are removed.
                let workers = try job.fact("linkdown.processes", as: [Int32].self)
                let deadline = Date().addingTimeInterval(5)
                while workers.contains(where: Leftovers.isAlive) && Date() < deadline { usleep(100_000) }
                #expect(!workers.contains(where: Leftovers.isAlive))
            }
        }

        @Test("the lifeline listens only on loopback and the address the other hosts reach rank 0 by")
        func lifelineAcrossHosts() throws {
            try FakeHosts.with { hosts in
                let job = try hosts.mpirun(scenarios, processes: 4, arguments: ["lifeline-guard"])
                job.expectSuccess()
                try WorkerDeathTests.expectStrangersRefused(job, addresses: ["127.0.0.1", "10.231.77.11"])
            }
        }
    }
}
