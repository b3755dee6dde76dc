import CoreMetrics

/// What rank 0's scheduler reports through swift-metrics. Made only when the program has set up a
/// metrics backend (`MetricsSystem.bootstrap`) before its first pool: otherwise the scheduler
/// holds nil and spends nothing on metrics.
///
/// Labels: `swiftpool_tasks_submitted`, `swiftpool_tasks_completed`, `swiftpool_tasks_failed`,
/// `swiftpool_tasks_rerun` (counters), `swiftpool_queue_depth` (gauge: tasks waiting for a
/// worker), `swiftpool_task_duration` (timer: run time on the worker, as the worker measured it).
struct PoolMetrics {
    let submitted = Counter(label: "swiftpool_tasks_submitted")
    let completed = Counter(label: "swiftpool_tasks_completed")
    let failed = Counter(label: "swiftpool_tasks_failed")
    let rerun = Counter(label: "swiftpool_tasks_rerun")
    let queueDepth = Gauge(label: "swiftpool_queue_depth")
    let taskDuration = Timer(label: "swiftpool_task_duration")

    /// The metrics, if a backend is set up.
    static func ifBootstrapped() -> PoolMetrics? {
        MetricsSystem.factory is NOOPMetricsHandler ? nil : PoolMetrics()
    }
}
