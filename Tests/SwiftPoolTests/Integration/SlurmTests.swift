import Testing

extension MPIRunTests {
    /// A SwiftPool program as a batch job of a real Slurm cluster of three namespace nodes.
    @Suite(
        "Slurm batch jobs",
        .enabled(if: SlurmCluster.unavailableReason == nil, "\(SlurmCluster.unavailableReason ?? "")"))
    struct SlurmTests {
        @Test("swiftpool.sbatch runs across three nodes, launched by mpirun and by srun --mpi=pmix")
        func batchJob() throws {
            try SlurmCluster.with { cluster in
                for launcher in ["mpirun", "srun"] {
                    let job = try cluster.submit(scenarios, arguments: ["start"], launcher: launcher)
                    job.expectSuccess()
                    #expect(job.standardOutput.contains("launcher \(launcher)"))
                    #expect(try job.fact("start.workers", as: Int.self) == 3, "launcher \(launcher)")
                    #expect(
                        try job.fact("start.hosts", as: [String].self) == ["h1", "h2", "h3"], "launcher \(launcher)")
                    #expect(try job.fact("start.hostError", as: Outcome.self).remote?.host == "h3")
                }
            }
        }

        @Test("a worker SIGKILLed mid-map under srun and under mpirun is replaced; the map returns every result")
        func workerDeath() throws {
            try SlurmCluster.with { cluster in
                for launcher in ["srun", "mpirun"] {
                    let job = try cluster.submit(scenarios, arguments: ["fault-map"], launcher: launcher)
                    job.expectSuccess()
                    try WorkerDeathTests.expectMapSurvived(job, workers: 3, replaced: true)
                }
            }
        }

        @Test("under plain srun --mpi=pmix, six jobs in a row each lose a worker mid-map a different way; all survive")
        func everyDeathUnderSrun() throws {
            try SlurmCluster.with { cluster in
                for (how, says) in SupervisionTests.deaths {
                    let job = try cluster.submit(scenarios, arguments: ["death-mid-map", how], launcher: "srun")
                    // Slurm's PMIx plugin would have ended the step at the first death of an MPI process.
                    #expect(!job.standardOutput.contains("Error handler invoked"), "\(how): \(job.standardOutput)")
                    try SupervisionTests.expectSurvived(job, how: how, says: says, launcher: "srun")
                }
            }
        }

        @Test("chaos under srun: a worker SIGKILLed every 250 ms while 8,000 tasks run; the step survives")
        func chaosUnderSrun() throws {
            try SlurmCluster.with { cluster in
                let job = try cluster.submit(
                    scenarios, arguments: ["chaos"], launcher: "srun",
                    environment: ["CHAOS_TASKS": "8000", "CHAOS_INTERVAL": "0.25", "CHAOS_MICROS": "1000"])
                try SupervisionTests.expectChaosSurvived(job, workers: 3)
            }
        }

        @Test("near the time limit, Slurm's SIGTERM reaches rank 0 through the script; the program saves and exits 143")
        func walltimeWarning() throws {
            try SlurmCluster.with { cluster in
                for launcher in ["srun", "mpirun"] {
                    // A 2-minute limit with the warning 110 s before it: about 10 s in (Slurm checks
                    // limits every few tens of seconds), well before the 100 s of work could end.
                    let job = try cluster.submit(
                        scenarios, arguments: ["interrupt", "SIGTERM", "external", "async"], launcher: launcher,
                        sbatchOptions: ["--time=2", "--signal=B:TERM@110"])
                    #expect(!job.timedOut)
                    #expect(job.exitCode == 143, "launcher \(launcher): \(job.standardOutput)")
                    #expect(
                        job.standardOutput.contains("SIGTERM: passing it on to rank 0"),
                        "launcher \(launcher): \(job.standardOutput)")
                    // The program's code after the pool ran to its end: the launcher did not cut
                    // rank 0's grace time short.
                    #expect((try? job.fact("interrupt.returned", as: Double.self)) != nil, "launcher \(launcher)")
                    #expect(try job.fact("interrupt.signal", as: Int.self) == 15, "launcher \(launcher)")
                    #expect(try job.fact("interrupt.bodyCancelled", as: Bool.self), "launcher \(launcher)")
                    // What finished before the warning was there to save.
                    #expect(try job.fact("interrupt.saved", as: Int.self) >= 1, "launcher \(launcher)")
                    #expect((try? job.fact("interrupt.mapEnded", as: Bool.self)) == nil)
                }
            }
        }

        @Test("the program's exit status is the batch job's, with either launcher")
        func exitStatus() throws {
            try SlurmCluster.with { cluster in
                for launcher in ["srun", "mpirun"] {
                    let job = try cluster.submit(scenarios, arguments: ["exit-code"], launcher: launcher)
                    #expect(!job.timedOut)
                    #expect(job.exitCode == 3, "launcher \(launcher): \(job.standardOutput)")
                }
            }
        }
    }
}
