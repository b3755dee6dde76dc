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

        @Test("a worker SIGKILLed mid-map under srun and under mpirun; the map returns every result")
        func workerDeath() throws {
            try SlurmCluster.with { cluster in
                for launcher in ["srun", "mpirun"] {
                    let job = try cluster.submit(scenarios, arguments: ["fault-map"], launcher: launcher)
                    // The launchers report the killed worker; the script exits with rank 0's status.
                    job.expectSuccess()
                    try WorkerDeathTests.expectMapSurvived(job, workers: 3, replaced: false)
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
