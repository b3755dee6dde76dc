import Foundation
import Testing

extension MPIRunTests {
    /// SIGINT (Ctrl-C) and SIGTERM (a walltime warning, scancel) reaching rank 0 mid-map.
    @Suite("interruption by SIGINT and SIGTERM")
    struct InterruptTests {
        @Test("plain start, Ctrl-C to the process group mid-map: cancelled, the program saves and exits 130")
        func controlCPlainStart() throws {
            // A session of its own, so the signal to the process group reaches only the job.
            let executable = MPIJob.productsFolder.appendingPathComponent(scenarios).path
            let job = try MPIJob.launch(["setsid", "--wait", executable, "interrupt", "SIGINT", "group"], timeout: 30)
            try checkInterrupted(job, signal: 2, name: "SIGINT")
            #expect(job.exitCode == 130)
        }

        @Test("plain start, SIGTERM mid-mapStream in an async body: the body's task is cancelled, exit 143")
        func terminatePlainStartAsync() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["interrupt", "SIGTERM", "self", "async"], timeout: 30)
            try checkInterrupted(job, signal: 15, name: "SIGTERM")
            #expect(job.exitCode == 143)
            #expect(try job.fact("interrupt.bodyCancelled", as: Bool.self))
            // The results that came in before the signal were there to save.
            #expect(try job.fact("interrupt.saved", as: Int.self) >= 1)
        }

        @Test("mpirun -np 3, SIGTERM to rank 0 mid-map: cancelled, the job ends non-zero within seconds")
        func terminateUnderMPIRun() throws {
            let job = try MPIJob.run(scenarios, processes: 3, arguments: ["interrupt", "SIGTERM", "self"], timeout: 30)
            try checkInterrupted(job, signal: 15, name: "SIGTERM")
            #expect(job.exitCode != 0)
        }

        @Test("mpirun -np 3, SIGINT to rank 0 mid-mapStream in an async body: the body's task is cancelled")
        func interruptUnderMPIRunAsync() throws {
            let job = try MPIJob.run(
                scenarios, processes: 3, arguments: ["interrupt", "SIGINT", "self", "async"], timeout: 30)
            try checkInterrupted(job, signal: 2, name: "SIGINT")
            #expect(job.exitCode != 0)
            #expect(try job.fact("interrupt.bodyCancelled", as: Bool.self))
        }

        @Test(
            "Ctrl-C mid-mapStream, plain start and interactive mpirun -np 3: the program's 2 s save in its catch completes"
        )
        func controlCSaves() throws {
            let executable = MPIJob.productsFolder.appendingPathComponent(scenarios).path
            let arguments = ["interrupt", "SIGINT", "group", "async", "slow-save"]
            // A session of its own, so the signal to the process group reaches only the job, as a
            // terminal's Ctrl-C reaches the foreground job. mpirun ends its ranks a second after
            // passing a signal on unless odls_base_sigkill_timeout gives them longer.
            for (launcher, command, environment) in [
                ("plain start", ["setsid", "--wait", executable] + arguments, [:]),
                (
                    "mpirun -np 3",
                    ["setsid", "--wait", "mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "3", executable]
                        + arguments,
                    ["OMPI_MCA_odls_base_sigkill_timeout": "10"]
                ),
            ] {
                let job = try MPIJob.launch(command, timeout: 60, environment: environment)
                #expect(!job.timedOut, "\(launcher)")
                #expect(try job.fact("interrupt.signal", as: Int.self) == 2, "\(launcher)")
                #expect(try job.fact("interrupt.saved", as: Int.self) >= 1, "\(launcher)")
                let signalled = try job.fact("interrupt.at", as: Double.self)
                let returned = try job.fact("interrupt.returned", as: Double.self)
                #expect(returned - signalled >= 2, "\(launcher): the save did not take its 2 s")
                #expect(job.leftovers.isEmpty, "\(launcher): processes left running: \(job.leftovers)")
            }
        }

        private func checkInterrupted(_ job: MPIJob, signal: Int, name: String) throws {
            let ended = Date().timeIntervalSince1970
            #expect(!job.timedOut)
            #expect((try? job.fact("interrupt.mapEnded", as: Bool.self)) == nil, "the map finished anyway")
            let outcome = try job.fact("interrupt.outcome", as: Outcome.self)
            // A blocking map fails with `cancelled`; an async one also sees its task cancelled.
            #expect(outcome.poolCode == "cancelled" || outcome.errorKind == "Swift.CancellationError")
            // A running task fails as interrupted; a queued one is simply cancelled.
            if outcome.poolCode == "cancelled" {
                let message = outcome.message ?? ""
                #expect(message.contains("interrupted by \(name)") || message.contains("cancelled before it ran"))
            }
            #expect(try job.fact("interrupt.signal", as: Int.self) == signal)
            let later = try job.fact("interrupt.laterSubmit", as: Outcome.self)
            #expect(later.poolCode == "cancelled")
            // The program ran on after the pool: where it writes what it saved.
            let signalled = try job.fact("interrupt.at", as: Double.self)
            let returned = try job.fact("interrupt.returned", as: Double.self)
            #expect(returned - signalled < 1)
            // The map had seconds of work left; the job ended (every output pipe closed) at once.
            #expect(ended - signalled < 3, "the job ended \(ended - signalled) s after \(name)")
            #expect(job.standardError.contains("\(name): queued tasks are cancelled"))
            let workers = try job.fact("interrupt.processes", as: [Int32].self)
            #expect(workers.allSatisfy { !Leftovers.isAlive($0) })
            #expect(job.leftovers.isEmpty)
        }
    }
}
