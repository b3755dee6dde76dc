import Foundation
import Testing

extension MPIRunTests {
    /// What a newcomer's first program meets, on every launch path.
    @Suite("a newcomer's first program")
    struct NewcomerTests {
        /// Runs `guarded-append` with a fresh file; checks what every launch path must show.
        static func expectGuarded(
            _ launch: (_ arguments: [String]) throws -> MPIJob, processesPerWorker: Int, _ launcher: String
        ) throws {
            let path = NSTemporaryDirectory() + "swiftpool-guarded-\(getpid())-\(UUID().uuidString)"
            defer {
                unlink(path)
                unlink(path + ".all")
            }
            let job = try launch(["guarded-append", path])
            job.expectSuccess()
            #expect(try job.fact("guarded.isWorkerOnRankZero", as: Bool.self) == false, "\(launcher)")
            #expect(try job.fact("guarded.workersSayWorker", as: Bool.self), "\(launcher)")
            #expect(try job.fact("guarded.lines", as: Int.self) == 1, "\(launcher): the guarded line")
            // Unguarded, every process wrote: rank 0, each worker, and under a launcher each rank
            // that supervises one.
            let workers = try job.fact("guarded.workers", as: Int.self)
            #expect(try job.fact("guarded.allLines", as: Int.self) == 1 + workers * processesPerWorker, "\(launcher)")
            #expect(job.leftovers.isEmpty, "\(launcher)")
        }

        @Test("code before the pool guarded by PoolProcess.isWorker runs once: plain start, mpirun, hostfile")
        func guardedCodeBeforeThePool() throws {
            try Self.expectGuarded(
                { try MPIJob.runAlone(scenarios, arguments: $0) }, processesPerWorker: 1, "plain start")
            try Self.expectGuarded(
                { try MPIJob.run(scenarios, processes: 3, arguments: $0) }, processesPerWorker: 2, "mpirun -np 3")
            if FakeHosts.unavailableReason == nil {
                try FakeHosts.with { hosts in
                    try Self.expectGuarded(
                        { try hosts.mpirun(scenarios, processes: 4, arguments: $0) }, processesPerWorker: 2,
                        "mpirun --hostfile")
                }
            }
        }

        @Test(
            "code before the pool guarded by PoolProcess.isWorker runs once under srun and mpirun in a Slurm job",
            .enabled(if: SlurmCluster.unavailableReason == nil, "\(SlurmCluster.unavailableReason ?? "")"))
        func guardedUnderSlurm() throws {
            try SlurmCluster.with { cluster in
                for launcher in ["srun", "mpirun"] {
                    try Self.expectGuarded(
                        { try cluster.submit(scenarios, arguments: $0, launcher: launcher) }, processesPerWorker: 2,
                        launcher)
                }
            }
        }

        @Test("a later pool that asks for more workers gets them in the plain start; under mpirun, the ranks there are")
        func plainStartGrows() throws {
            let alone = try MPIJob.runAlone(scenarios, arguments: ["grow"])
            alone.expectSuccess()
            #expect(try alone.fact("grow.first", as: Int.self) == 1)
            #expect(try alone.fact("grow.firstProcesses", as: Int.self) == 1)
            #expect(try alone.fact("grow.second", as: Int.self) == 2)
            #expect(try alone.fact("grow.secondCount", as: Int.self) == 2)
            #expect(try alone.fact("grow.secondProcesses", as: Int.self) == 2)
            #expect(alone.leftovers.isEmpty)
            let launched = try MPIJob.run(scenarios, processes: 2, arguments: ["grow"])
            launched.expectSuccess()
            #expect(try launched.fact("grow.second", as: Int.self) == 1, "mpirun -np 2 has one worker")
            #expect(try launched.fact("grow.secondProcesses", as: Int.self) == 1)
            #expect(launched.leftovers.isEmpty)
        }
    }
}
