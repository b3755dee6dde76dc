import Foundation
import Testing

extension MPIRunTests {
    @Suite("errors")
    struct ErrorTests {
        @Test(
            "a task's error comes back with rank, host and message, and the next task works", arguments: processCounts)
        func remoteError(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["remote-error"])
            job.expectSuccess()
            let outcome = try job.fact("remote.outcome", as: Outcome.self)
            let remote = try #require(outcome.remote)
            #expect(remote.function == "PoolScenarios.FailOn")
            #expect(remote.errorType == "PoolScenarios.ItemError")
            #expect(remote.message == "item 3 is not allowed")
            #expect(remote.host == (try job.fact("remote.localHost", as: String.self)))
            if processes == 1 { #expect(remote.rank == 0) } else { #expect((1..<processes).contains(remote.rank)) }
            #expect(outcome.message?.contains("on rank \(remote.rank) (\(remote.host))") == true)
            #expect(try job.fact("remote.next", as: Int.self) == 81)
        }

        @Test(
            "an argument or result that cannot be encoded or decoded fails only its own future",
            arguments: processCounts)
        func codingFailures(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["coding-failures"])
            job.expectSuccess()
            #expect(try job.fact("coding.before", as: Outcome.self).value == "4")
            #expect(try job.fact("coding.after", as: Outcome.self).value == "9")
            let argument = try job.fact("coding.argument", as: Outcome.self)
            #expect(argument.poolCode == "encoding failed")
            #expect(argument.message?.contains("argument of PoolScenarios.AcceptUnencodable (Unencodable)") == true)
            let inMap = try job.fact("coding.inMap", as: Outcome.self)
            #expect(inMap.message?.contains("(a chunk of [Unencodable])") == true, "\(inMap)")
            #expect(inMap.message?.contains("ArraySliceEncoding") == false, "\(inMap)")
            let result = try job.fact("coding.result", as: Outcome.self)
            #expect(result.poolCode == "encoding failed")
            #expect(result.message?.contains("result of PoolScenarios.ReturnUnencodable (Unencodable)") == true)
            let undecodable = try job.fact("coding.undecodable", as: Outcome.self)
            #expect(undecodable.poolCode == "decoding failed")
            #expect(undecodable.message?.contains("Undecodable refuses to decode") == true)
        }

        @Test("a type that cannot be found by name is refused at submit with advice")
        func unknownType() throws {
            let job = try MPIJob.run(scenarios, processes: 2, arguments: ["unknown-type"])
            job.expectSuccess()
            for name in ["unknown.private", "unknown.local"] {
                let outcome = try job.fact(name, as: Outcome.self)
                #expect(outcome.poolCode == "unknown function type")
                #expect(outcome.message?.contains("declare it at the top level") == true)
            }
            #expect(try job.fact("unknown.after", as: Int.self) == 16)
        }

        @Test("an initializer that throws breaks its pool, and only its pool", arguments: processCounts)
        func initializerFailure(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["initializer"])
            job.expectSuccess()
            let futures = try job.fact("init.futures", as: [Outcome].self)
            #expect(futures.count == 6)
            for outcome in futures {
                #expect(outcome.poolCode == "broken pool")
                #expect(outcome.message?.contains("the initializer refuses to start") == true)
            }
            #expect(try job.fact("init.laterSubmit", as: Outcome.self).poolCode == "broken pool")
            #expect(try job.fact("init.laterMap", as: Outcome.self).poolCode == "broken pool")
            let greetings = try job.fact("init.greetings", as: [String].self)
            #expect(greetings == Array(repeating: "hello from the initializer", count: 8))
        }

        @Test("ranks running different builds are refused with the rank and host named")
        func differentBuilds() throws {
            let original = MPIJob.productsFolder.appendingPathComponent(scenarios)
            let copy = FileManager.default.temporaryDirectory.appendingPathComponent("PoolScenarios-other-\(getpid())")
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: original, to: copy)
            defer { try? FileManager.default.removeItem(at: copy) }
            // Another build: the linker's build-id note differs (one byte of it changed here), or,
            // for an executable without one, the file does (one more byte at the end).
            var bytes = try Data(contentsOf: copy)
            let noteHeader = Data([4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0]) + Data("GNU\0".utf8)
            if let note = bytes.range(of: noteHeader) {
                bytes[note.upperBound] ^= 0xff
            } else {
                bytes.append(0)
            }
            try bytes.write(to: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
            let job = try MPIJob.launch(
                [
                    "mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "1", original.path, "different-builds",
                    ":", "-np", "1", copy.path, "different-builds",
                ], timeout: 60)
            #expect(!job.timedOut)
            #expect(job.exitCode != 0)
            let outcome = try job.fact("builds.outcome", as: Outcome.self)
            #expect(outcome.poolCode == "different builds")
            #expect(outcome.message?.contains("rank 1 on host \(ProcessInfo.processInfo.hostName)") == true)
        }
    }
}
