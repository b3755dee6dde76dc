import Testing

extension MPIRunTests {
    /// Payloads past MPI's 2 GiB message limit travel in pieces. The 3 GB jobs take a minute each
    /// and up to about 16 GB of memory together across their processes.
    @Suite("payloads past 2 GiB")
    struct HugePayloadTests {
        @Test("a 3 GB argument and result round trip under mpirun, in a struct and as an array, while small tasks flow")
        func underMPIRun() throws {
            let job = try MPIJob.run(scenarios, processes: 3, arguments: ["huge"], timeout: 280)
            job.expectSuccess()
            try checkRoundTrips(job)
        }

        @Test(
            "a 3 GB argument and result round trip in the plain start, in a struct and as an array, while small tasks flow"
        )
        func plainStart() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["huge"], timeout: 280)
            job.expectSuccess()
            try checkRoundTrips(job)
        }

        @Test("with 64 KiB messages, a 10 MB payload crosses in 153 pieces each way", arguments: [2, 3])
        func manyPieces(processes: Int) throws {
            let job = try MPIJob.run(
                scenarios, processes: processes, arguments: ["huge", "10000000"],
                environment: ["SWIFTPOOL_MAX_MESSAGE_BYTES": "65536"],
                extraMPIArguments: ["-x", "SWIFTPOOL_MAX_MESSAGE_BYTES"])
            job.expectSuccess()
            #expect(try job.fact("huge.structOut", as: Outcome.self).value == "true")
            #expect(try job.fact("huge.arrayOut", as: Outcome.self).value == "true")
            #expect(try job.fact("huge.after", as: Int.self) == 36)
        }

        private func checkRoundTrips(_ job: MPIJob) throws {
            // The bytes came back whole and in order (a pattern with a prime period).
            #expect(try job.fact("huge.structOut", as: Outcome.self).value == "true")
            #expect(try job.fact("huge.arrayOut", as: Outcome.self).value == "true")
            // Small tasks on the other worker finished while each big one travelled.
            #expect(try job.fact("huge.smallDuringStructOut", as: Int.self) >= 10)
            #expect(try job.fact("huge.smallDuringArrayOut", as: Int.self) >= 10)
            #expect(try job.fact("huge.after", as: Int.self) == 36)
        }
    }
}
