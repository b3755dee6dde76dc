import Foundation
import Testing

extension MPIRunTests {
    /// A program started without mpirun starts its workers itself and shares memory with them.
    @Suite("spawn mode")
    struct SpawnTests {
        /// The cores this test process may use, as the pool counts them.
        static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

        @Test("a plain start spawns one worker per core, and tasks and errors work as under mpirun")
        func plainStart() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["start"])
            job.expectSuccess()
            #expect(try job.fact("start.outcome", as: Outcome.self).ok)
            #expect(try job.fact("start.workers", as: Int.self) == Self.cores)
            #expect(try job.fact("start.ranks", as: [Int].self) == Array(1...Self.cores))
            let remote = try job.fact("start.remote", as: Outcome.self)
            #expect(remote.remote?.message == "item 1 is not allowed")
            #expect((1...Self.cores).contains(remote.remote?.rank ?? -1))
            #expect(job.standardError.isEmpty, "stderr: \(job.standardError)")
        }

        @Test("spawned pools pass the map and many-task scenarios")
        func scenariosWhenSpawned() throws {
            let map = try MPIJob.runAlone(scenarios, arguments: ["map"])
            map.expectSuccess()
            #expect(try map.fact("map.chunk3", as: [Int].self) == (0..<37).map { $0 * $0 })
            let many = try MPIJob.runAlone(scenarios, arguments: ["many-tasks"])
            many.expectSuccess()
            #expect(try many.fact("many.resolvedOnce", as: Int.self) == 10_000)
            let exit = try MPIJob.runAlone(scenarios, arguments: ["exit-code"])
            #expect(exit.exitCode == 3)
        }

        @Test("workers that cannot be started are a PoolError at once, not a hang")
        func failedSpawn() throws {
            // A copy of the scenario program that deletes itself before its first pool.
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpool-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let copy = folder.appendingPathComponent("PoolScenarios")
            try FileManager.default.copyItem(at: MPIJob.productsFolder.appendingPathComponent(scenarios), to: copy)
            let job = try MPIJob.launch([copy.path, "start-deleted"], timeout: 30)
            #expect(!job.timedOut)
            #expect(job.exitCode == 0)
            let outcome = try job.fact("start.outcome", as: Outcome.self)
            #expect(outcome.poolCode == "spawn failed")
            #expect(outcome.message?.contains("posix_spawn failed: No such file or directory") == true)
            #expect(outcome.message?.contains("is gone or cannot be run") == true, "\(outcome)")
            #expect(outcome.message?.contains("ask for fewer") == false, "\(outcome)")
            #expect(try job.fact("start.seconds", as: Double.self) < 1)
            #expect(job.leftovers.isEmpty)
        }

        @Test("SWIFTPOOL_LAUNCH chooses between spawning and the world's ranks")
        func launchKnob() throws {
            let world = try MPIJob.runAlone(scenarios, arguments: ["start"], environment: ["SWIFTPOOL_LAUNCH": "world"])
            world.expectSuccess()
            #expect(try world.fact("start.ranks", as: [Int].self) == [0])

            let spawnUnderMPIRun = try MPIJob.run(
                scenarios, processes: 1, arguments: ["start"], environment: ["SWIFTPOOL_LAUNCH": "spawn"])
            spawnUnderMPIRun.expectSuccess()
            #expect(try spawnUnderMPIRun.fact("start.ranks", as: [Int].self) == Array(1...Self.cores))

            let underWorld = try MPIJob.run(
                scenarios, processes: 3, arguments: ["start"], environment: ["SWIFTPOOL_LAUNCH": "spawn"])
            #expect(!underWorld.timedOut)
            let refused = try underWorld.fact("start.outcome", as: Outcome.self)
            #expect(refused.poolCode == "invalid argument")
            #expect(refused.message?.contains("the other ranks already are the workers") == true)

            let bogus = try MPIJob.runAlone(
                scenarios, arguments: ["start"], environment: ["SWIFTPOOL_LAUNCH": "cluster"])
            #expect(
                try bogus.fact("start.outcome", as: Outcome.self).message?.contains("SWIFTPOOL_LAUNCH is \"cluster\"")
                    == true)
        }

        @Test("the first pool's maxWorkers sets how many workers are spawned")
        func requestedWorkers() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["start", "3"])
            job.expectSuccess()
            #expect(try job.fact("start.workers", as: Int.self) == 3)
            #expect(try job.fact("start.ranks", as: [Int].self) == [1, 2, 3])
        }
    }
}
