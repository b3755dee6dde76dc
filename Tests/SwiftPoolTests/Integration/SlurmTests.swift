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
    }
}
