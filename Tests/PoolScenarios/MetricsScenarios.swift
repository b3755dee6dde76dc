import CoreMetrics
import MetricsTestKit
import SwiftPool

enum MetricsScenarios {
    /// `metrics`: a test backend set up before the first pool; 30 tasks, 3 of them failing.
    static func run() throws {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        try MPIPoolExecutor.run { pool in
            let futures = try (0..<30).map { try pool.submit(SlowFailOn(failing: [3, 13, 23]), $0) }
            for future in futures { _ = try? future.result() }
        }
        Report.fact("metrics.submitted", try metrics.expectCounter("swiftpool_tasks_submitted").totalValue)
        Report.fact("metrics.completed", try metrics.expectCounter("swiftpool_tasks_completed").totalValue)
        Report.fact("metrics.failed", try metrics.expectCounter("swiftpool_tasks_failed").totalValue)
        let durations = try metrics.expectTimer("swiftpool_task_duration").values
        Report.fact("metrics.durations", durations.count)
        Report.fact("metrics.shortestDurationNanos", durations.min() ?? 0)
        let depths = try metrics.expectGauge("swiftpool_queue_depth").values
        Report.fact("metrics.maxQueueDepth", depths.max() ?? -1)
        Report.fact("metrics.lastQueueDepth", depths.last ?? -1)
    }
}
