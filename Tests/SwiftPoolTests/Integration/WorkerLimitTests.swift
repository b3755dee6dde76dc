import Foundation
import Testing

extension MPIRunTests {
    /// `maxTasksPerWorker`, `workerMemoryLimit` and `terminate()`, in the plain start and under
    /// `mpirun -np 3` with no recovery flag, and across hosts where supervisors relay.
    @Suite("worker limits")
    struct WorkerLimitTests {
        static func expectMaxTasks(_ job: MPIJob, _ launcher: String) throws {
            job.expectSuccess()
            let workers = try job.fact("maxtasks.workersBefore", as: Int.self)
            #expect(try job.fact("maxtasks.mapCount", as: Int.self) == 12 * workers, "\(launcher)")
            for name in ["mapMostPerProcess", "submitMostPerProcess", "sharedMostOfFive"] {
                let most = try job.fact("maxtasks.\(name)", as: Int.self)
                #expect((1...5).contains(most), "\(launcher): \(name) \(most)")
            }
            #expect(try job.fact("maxtasks.sharedMostOfThree", as: Int.self) <= 3, "\(launcher)")
            // 24 submitted items, 5 per process at most: at least 5 processes for them alone.
            #expect(try job.fact("maxtasks.processes", as: Int.self) >= 2 * workers + 5, "\(launcher)")
            #expect(try job.fact("maxtasks.workersAfter", as: Int.self) == workers, "\(launcher)")
            #expect(try job.fact("maxtasks.allAlive", as: Bool.self), "\(launcher)")
            #expect(!job.standardError.contains("warning"), "\(launcher): retiring is no loss:\n\(job.standardError)")
            #expect(job.leftovers.isEmpty, "\(launcher): processes left running: \(job.leftovers)")
        }

        @Test("maxTasksPerWorker 5 over 12 items per worker: no process runs more than 5, nothing fails, same size")
        func maxTasksPerWorker() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["max-tasks"], check: Self.expectMaxTasks)
        }

        /// CPython's `test_max_tasks_per_child` and `test_max_tasks_early_shutdown`
        /// (Lib/test/test_concurrent_futures/test_process_pool.py).
        @Test("CPython's max_tasks_per_child tests: a fresh process after the limit; an early shutdown keeps results")
        func cpythonMaxTasksPerChild() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["cpython-max-tasks"]) { (job: MPIJob, launcher: String) throws in
                job.expectSuccess()
                #expect(try job.fact("cpython.firstThreeOneProcess", as: Bool.self), "\(launcher)")
                #expect(try job.fact("cpython.fourthElsewhere", as: Bool.self), "\(launcher)")
                #expect(try job.fact("cpython.earlyShutdown", as: Bool.self), "\(launcher)")
                #expect(job.leftovers.isEmpty, "\(launcher)")
            }
        }

        static func expectMemoryLimit(_ job: MPIJob, _ launcher: String) throws {
            job.expectSuccess()
            let large = try job.fact("memory.large", as: Outcome.self)
            #expect(large.poolCode == "worker lost", "\(launcher): \(large)")
            let message = large.message ?? ""
            #expect(message.contains("passed workerMemoryLimit ("), "\(launcher): \(message)")
            #expect(message.contains(" MB resident, limit 300 MB)"), "\(launcher): \(message)")
            #expect(message.contains("while running this task"), "\(launcher): \(message)")
            #expect(try job.fact("memory.small", as: Outcome.self).value == "50", "\(launcher)")
            #expect(try job.fact("memory.after", as: Bool.self), "\(launcher)")
            let before = try job.fact("memory.workersBefore", as: Int.self)
            #expect(try job.fact("memory.workersAfter", as: Int.self) == before, "\(launcher)")
            #expect(job.leftovers.isEmpty, "\(launcher): processes left running: \(job.leftovers)")
        }

        @Test("workerMemoryLimit 300 MB: a 900 MB task fails naming the limit and both sizes; 50 MB beside it succeeds")
        func workerMemoryLimit() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["memory-limit"], check: Self.expectMemoryLimit)
        }

        @Test("a worker past workerMemoryLimit before its first task is not replaced, and rank 0 says so once")
        func memoryLimitCrashLoop() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["memory-idle"]) { (job: MPIJob, launcher: String) throws in
                job.expectSuccess()
                let outcome = try job.fact("idle.outcome", as: Outcome.self)
                #expect(outcome.poolCode == "broken pool", "\(launcher): \(outcome)")
                let said = job.standardError.components(separatedBy: "before it ran a task").count - 1
                #expect(said == 1, "\(launcher): said \(said) times:\n\(job.standardError)")
                #expect(job.leftovers.isEmpty, "\(launcher)")
            }
        }

        static func expectTerminated(_ job: MPIJob, _ launcher: String) throws {
            job.expectSuccess()
            #expect(try job.fact("terminate.seconds", as: Double.self) < 1.5, "\(launcher)")
            #expect(try job.fact("terminate.runnerGone", as: Bool.self), "\(launcher)")
            #expect(try job.fact("terminate.deadWorker", as: Outcome.self).poolCode == "worker lost", "\(launcher)")
            let running = try job.fact("terminate.running", as: Outcome.self)
            #expect(running.poolCode == "cancelled", "\(launcher): \(running)")
            #expect(running.message?.contains("terminate()") == true, "\(launcher): \(running)")
            #expect(try job.fact("terminate.queued", as: Outcome.self).poolCode == "cancelled", "\(launcher)")
            #expect(try job.fact("terminate.queuedCancelled", as: Bool.self), "\(launcher)")
            #expect(try job.fact("terminate.submitAfter", as: Outcome.self).poolCode == "shut down", "\(launcher)")
            let workers = try job.fact("terminate.workersBefore", as: Int.self)
            #expect(try job.fact("terminate.secondPoolWorkers", as: Int.self) == workers, "\(launcher)")
            #expect(
                !job.standardError.contains("killed by SIGKILL"),
                "\(launcher): the worker terminate() ended is no loss (the one exit(3) is):\n\(job.standardError)")
            #expect(job.leftovers.isEmpty, "\(launcher): processes left running: \(job.leftovers)")
        }

        /// Also CPython 3.14's `test_force_shutdown_workers` (terminate_workers, kill_workers): the
        /// worker process running the task is gone, and the pool takes no more work.
        @Test(
            "terminate(), blocking and awaited: a running and a queued task fail cancelled at once; the workers serve on"
        )
        func terminate() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["terminate"], check: Self.expectTerminated)
            try MPIJob.inPlainStartAndUnderMPIRun(["terminate", "async"], check: Self.expectTerminated)
        }

        @Test(
            "across three hosts, relayed workers retire, are held to the memory limit, and are ended by terminate()",
            .enabled(if: FakeHosts.unavailableReason == nil, "\(FakeHosts.unavailableReason ?? "")"))
        func acrossHosts() throws {
            try FakeHosts.with { hosts in
                try Self.expectMaxTasks(try hosts.mpirun(scenarios, processes: 4, arguments: ["max-tasks"]), "hosts")
                try Self.expectMemoryLimit(
                    try hosts.mpirun(scenarios, processes: 4, arguments: ["memory-limit"]), "hosts")
                try Self.expectTerminated(try hosts.mpirun(scenarios, processes: 4, arguments: ["terminate"]), "hosts")
            }
        }
    }
}
