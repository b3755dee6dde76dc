import Testing

extension MPIRunTests {
    @Suite("metrics")
    struct MetricsTests {
        @Test(
            "tasks submitted, completed and failed, their run times and the queue depth reach swift-metrics",
            arguments: [1, 3])
        func counters(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["metrics"])
            job.expectSuccess()
            #expect(try job.fact("metrics.submitted", as: Int.self) == 30)
            #expect(try job.fact("metrics.completed", as: Int.self) == 27)
            #expect(try job.fact("metrics.failed", as: Int.self) == 3)
            #expect(try job.fact("metrics.durations", as: Int.self) == 30)
            // Each task sleeps 3 ms on its worker, which measures its run time.
            #expect(try job.fact("metrics.shortestDurationNanos", as: Int.self) >= 3_000_000)
            #expect(try job.fact("metrics.maxQueueDepth", as: Double.self) >= 1)
            #expect(try job.fact("metrics.lastQueueDepth", as: Double.self) == 0)
        }
    }
}
