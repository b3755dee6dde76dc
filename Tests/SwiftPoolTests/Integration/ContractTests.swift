import Foundation
import Testing

extension MPIRunTests {
    /// The rest of the peers' contract, in the plain start and under `mpirun -np 3`.
    @Suite("the peers' contract")
    struct ContractTests {
        /// mpi4py's `bootup(wait=True)` and `num_workers`.
        @Test(
            "bootup() initializes every worker before any task, again at once; workerCount follows deaths and ends at 0"
        )
        func bootupAndWorkerCount() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["bootup"]) { (job: MPIJob, launcher: String) throws in
                job.expectSuccess()
                let workers = try job.fact("bootup.maxWorkers", as: Int.self)
                #expect(workers == 2, "\(launcher)")
                #expect(try job.fact("bootup.initializedProcesses", as: Int.self) == workers, "\(launcher)")
                #expect(try job.fact("bootup.workerCount", as: Int.self) == workers, "\(launcher)")
                #expect(try job.fact("bootup.againSeconds", as: Double.self) < 0.1, "\(launcher)")
                #expect(try job.fact("bootup.lowestAfterDeath", as: Int.self) < workers, "\(launcher)")
                #expect(try job.fact("bootup.countAfterReplacement", as: Int.self) == workers, "\(launcher)")
                #expect(try job.fact("bootup.countAfterShutdown", as: Int.self) == 0, "\(launcher)")
                #expect(try job.fact("bootup.afterShutdown", as: Outcome.self).poolCode == "shut down", "\(launcher)")
                let failing = try job.fact("bootup.failing", as: Outcome.self)
                #expect(failing.poolCode == "broken pool", "\(launcher): \(failing)")
                #expect(failing.message?.contains("Refused") == true, "\(launcher): \(failing)")
                #expect(try job.fact("bootup.brokenCount", as: Int.self) == 0, "\(launcher)")
                #expect(job.leftovers.isEmpty, "\(launcher)")
            }
        }

        @Test("SWIFTPOOL_WORKERS sets the plain start's workers and a launcher's default cap; a bad value is named")
        func workersSetting() throws {
            let alone = try MPIJob.runAlone(
                scenarios, arguments: ["workers-setting"], environment: ["SWIFTPOOL_WORKERS": "3"])
            alone.expectSuccess()
            #expect(try alone.fact("setting.maxWorkers", as: Int.self) == 3)
            #expect(try alone.fact("setting.processes", as: Int.self) == 3)
            #expect(try alone.fact("setting.explicitMaxWorkers", as: Int.self) == 4, "the plain start grows on demand")
            #expect(
                try alone.fact("setting.refusals", as: [String].self) == Array(repeating: "invalid argument", count: 4))
            let launched = try MPIJob.run(
                scenarios, processes: 3, arguments: ["workers-setting"], environment: ["SWIFTPOOL_WORKERS": "1"])
            launched.expectSuccess()
            #expect(try launched.fact("setting.maxWorkers", as: Int.self) == 1)
            #expect(try launched.fact("setting.processes", as: Int.self) == 1)
            #expect(try launched.fact("setting.explicitMaxWorkers", as: Int.self) == 2)
            let bad = try MPIJob.runAlone(
                scenarios, arguments: ["workers-setting"], environment: ["SWIFTPOOL_WORKERS": "many"])
            let outcome = try bad.fact("setting.outcome", as: Outcome.self)
            #expect(outcome.poolCode == "invalid argument", "\(outcome)")
            #expect(outcome.message?.contains("SWIFTPOOL_WORKERS is \"many\"") == true, "\(outcome)")
            #expect(bad.leftovers.isEmpty && alone.leftovers.isEmpty && launched.leftovers.isEmpty)
        }

        @Test(
            "mapStream, asCompleted and map past their timeouts yield what came in time and say how many were unfinished"
        )
        func timeouts() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["timeouts"]) { (job: MPIJob, launcher: String) throws in
                job.expectSuccess()
                let stream = try job.fact("timeouts.stream", as: Outcome.self)
                #expect(stream.poolCode == "timed out", "\(launcher): \(stream)")
                #expect(stream.message?.contains("items unfinished") == true, "\(launcher): \(stream)")
                let received = try job.fact("timeouts.streamReceived", as: Int.self)
                #expect((1..<20).contains(received), "\(launcher): \(received)")
                #expect(try job.fact("timeouts.streamSeconds", as: Double.self) < 1.5, "\(launcher)")
                #expect(try job.fact("timeouts.ordered", as: Outcome.self).poolCode == "timed out", "\(launcher)")
                #expect(try job.fact("timeouts.orderedPrefix", as: Bool.self), "\(launcher)")
                let waited = try job.fact("timeouts.asCompleted", as: Outcome.self)
                #expect(waited.message?.contains("2 of 4 futures unfinished") == true, "\(launcher): \(waited)")
                #expect(try job.fact("timeouts.duplicatesYielded", as: Int.self) == 1, "\(launcher)")
                #expect(try job.fact("timeouts.duplicatesDone", as: Int.self) == 1, "\(launcher)")
                let map = try job.fact("timeouts.map", as: Outcome.self)
                #expect(map.poolCode == "timed out", "\(launcher): \(map)")
                #expect(map.message?.contains("of 8 items unfinished") == true, "\(launcher): \(map)")
                // After a map there is nothing to wait on again.
                #expect(map.message?.contains("wait again") == false, "\(launcher): \(map)")
                #expect(job.leftovers.isEmpty, "\(launcher)")
            }
        }

        @Test("tasks and initializers that return nothing: submitted, mapped, awaited, their errors reported")
        func actions() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["actions"]) { (job: MPIJob, launcher: String) throws in
                job.expectSuccess()
                #expect(try job.fact("actions.submitted", as: Bool.self), "\(launcher)")
                #expect(try job.fact("actions.mapped", as: Int.self) == 9, "\(launcher)")
                let failing = try job.fact("actions.failing", as: Outcome.self)
                #expect(failing.errorKind == "RemoteError", "\(launcher): \(failing)")
                let files = try job.fact("actions.files", as: [String].self)
                #expect(files.contains("initialized") && files.contains("argumentless"), "\(launcher): \(files)")
                #expect(files.filter { $0.hasPrefix("item-") }.count == 10, "\(launcher): \(files)")
                #expect(job.leftovers.isEmpty, "\(launcher)")
            }
        }

        /// CPython's `test_submit_after_interpreter_shutdown`.
        @Test("a submit from an atexit handler, once the program is exiting, throws shutDown saying so")
        func submitAtExit() throws {
            try MPIJob.inPlainStartAndUnderMPIRun(["submit-at-exit"]) { (job: MPIJob, launcher: String) throws in
                job.expectSuccess()
                #expect(try job.fact("exit.before", as: Int.self) == 9, "\(launcher)")
                let outcome = try job.fact("exit.outcome", as: Outcome.self)
                #expect(outcome.poolCode == "shut down", "\(launcher): \(outcome)")
                #expect(outcome.message?.contains("the program is exiting") == true, "\(launcher): \(outcome)")
                #expect(job.leftovers.isEmpty, "\(launcher)")
            }
        }
    }
}
