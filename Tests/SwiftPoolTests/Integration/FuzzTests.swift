import Testing

extension MPIRunTests {
    /// The wire's fuzzer, for the 30 seconds CI gives it: seeded mutations of real encodings and
    /// frames, each batch in a child with a memory cap and a watchdog. (`make fuzz` runs a long one.)
    @Suite("fuzzing the wire")
    struct FuzzTests {
        @Test("a 30-second fuzz campaign over every decoder entry point and both frame paths finds nothing")
        func shortCampaign() throws {
            let job = try MPIJob.launch(
                [
                    MPIJob.productsFolder.appendingPathComponent("SwiftPoolFuzz").path, "--seconds", "30", "--seed",
                    "11",
                ],
                timeout: 120)
            #expect(!job.timedOut)
            #expect(job.exitCode == 0, "\(job.standardOutput)\n\(job.standardError)")
            #expect(job.standardOutput.contains("SwiftPoolFuzz: found nothing in"), "\(job.standardOutput)")
            #expect(!job.standardOutput.contains("FOUND"))
        }
    }
}
