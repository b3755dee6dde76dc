import ArgumentParser
import Foundation
import SwiftPool

/// What a worker's death costs: how soon it is noticed, how soon its task runs again, and how much
/// longer a map takes when it loses a worker halfway.
///
/// Lost workers are replaced, started on its own (by rank 0) and under mpirun (by the supervisor).
struct Recovery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detection and re-run time after a worker's death; slowdown of a map that loses one.")

    @Option(help: "Deaths to time for detection and for re-running.") var samples = 5
    @Option(help: "Tasks in the map.") var tasks = 400
    @Option(help: "Busy milliseconds per map task.") var milliseconds = 5.0
    @Flag(help: "Only the map (as run under mpirun; its figures are named apart).") var mapOnly = false

    func run() throws {
        defer {
            for phase in ["detect", "rerun"] { for sample in 0..<samples { unlink(markerPath(phase, sample)) } }
        }
        if !mapOnly {
            // With no retries the task fails as soon as its worker's death is noticed.
            try MPIPoolExecutor.run(maxRetries: 0) { pool in
                var detections: [Double] = []
                for sample in 0..<samples {
                    _ = try workers(pool)
                    let start = Date()
                    _ = try? pool.submit(DieOnce(marker: marker("detect", sample)), 0).result()
                    detections.append(Date().timeIntervalSince(start) * 1000)
                }
                figure("recovery.detectMs", quantile(detections.sorted(), 0.5), "ms")
            }
            // With retries it runs again on another worker: from the death to that start.
            try MPIPoolExecutor.run { pool in
                var reruns: [Double] = []
                for sample in 0..<samples {
                    _ = try workers(pool)
                    let submitted = Date().timeIntervalSince1970
                    let rerunStart = try pool.submit(DieOnce(marker: marker("rerun", sample)), 0).result()
                    reruns.append((rerunStart - submitted) * 1000)
                }
                figure("recovery.rerunMs", quantile(reruns.sorted(), 0.5), "ms")
            }
        }
        try MPIPoolExecutor.run { pool in
            let items = Array(repeating: milliseconds, count: tasks)
            let clock = ContinuousClock()
            var start = clock.now
            _ = try pool.map(Busy(), items, chunkSize: 1)
            let clean = elapsedSeconds(clock.now - start)
            let victim = try workers(pool).last!
            start = clock.now
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: clean / 2)
                kill(victim, SIGKILL)
            }
            _ = try pool.map(Busy(), items, chunkSize: 1)
            let lossy = elapsedSeconds(clock.now - start)
            let mode = mapOnly ? "mpirun" : "replaced"
            figure("recovery.map.\(mode).cleanSeconds", clean, "s")
            figure("recovery.map.\(mode).lossySeconds", lossy, "s")
            figure("recovery.map.\(mode).slowdown", lossy / clean, "ratio")
        }
    }

    /// A file that exists once a task of this sample has died.
    private func marker(_ phase: String, _ sample: Int) -> String {
        let path = markerPath(phase, sample)
        unlink(path)
        return path
    }

    private func markerPath(_ phase: String, _ sample: Int) -> String {
        "/tmp/swiftpool-recovery-\(getpid())-\(phase)-\(sample)"
    }

    /// The process ids of the pool's workers, found by tasks spread over all of them.
    private func workers(_ pool: MPIPoolExecutor) throws -> [Int32] {
        Array(Set(try pool.map(ProcessID(), Array(0..<(pool.maxWorkers * 8)), chunkSize: 1))).sorted()
    }
}

/// The process running the task, after a short sleep that spreads a batch over every worker.
struct ProcessID: RemoteFunction {
    func callAsFunction(_ item: Int) -> Int32 {
        usleep(10_000)
        return getpid()
    }
}

/// Kills its own worker the first time it runs (it leaves `marker` behind, on this machine);
/// run again, returns when it started (seconds since 1970, one clock for every process here).
struct DieOnce: RemoteFunction {
    var marker: String
    func callAsFunction(_ item: Int) -> Double {
        let descriptor = open(marker, O_CREAT | O_EXCL | O_WRONLY, 0o600)
        if descriptor >= 0 {
            close(descriptor)
            kill(getpid(), SIGKILL)
        }
        unlink(marker)
        return Date().timeIntervalSince1970
    }
}
