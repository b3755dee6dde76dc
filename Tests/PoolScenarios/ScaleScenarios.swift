import Foundation
import SwiftPool
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// As many workers as the machine holds, losing some in the middle of a map.
enum ScaleScenarios {
    /// `scale-kill COUNT`: every worker is found; a map of 40 short tasks per worker starts, and
    /// COUNT workers that served before are SIGKILLed by PID a third of the way through. Reports
    /// whether every result came back right, the workers before and after, and the time to ready.
    static func killDuringMap(count: Int) throws {
        try MPIPoolExecutor.run { pool in
            Report.fact("scale.startupSeconds", MPIPoolExecutor.startupDuration.map(secondsOf) ?? -1)
            let before = try FaultScenarios.workers(pool)
            Report.fact("scale.workersBefore", before.count)
            let victims = Array(before.prefix(count))
            let items = pool.maxWorkers * 40
            let killedAt = Mutex<[Double]>([])
            let mapStarted = Date().timeIntervalSince1970
            Thread.detachNewThread {
                // A task takes about 1 ms of CPU: a third of the map on two cores.
                Thread.sleep(forTimeInterval: max(0.2, Double(items) / 2000 / 3))
                for victim in victims {
                    kill(victim.processID, SIGKILL)
                    killedAt.withLock { $0.append(Date().timeIntervalSince1970) }
                }
            }
            let answers = try pool.map(SlowSquare(micros: 1000), Array(0..<items), chunkSize: 1)
            let mapEnded = Date().timeIntervalSince1970
            let kills = killedAt.withLock { $0 }
            Report.fact("scale.correct", answers.map(\.square) == (0..<items).map { $0 * $0 })
            Report.fact(
                "scale.killedDuringMap", kills.count == count && kills.allSatisfy { $0 > mapStarted && $0 < mapEnded })
            Report.fact("scale.mapSeconds", mapEnded - mapStarted)
            let after = try FaultScenarios.workers(pool)
            Report.fact("scale.workersAfter", after.count)
            Report.fact("scale.victimsGone", !after.contains { victim in victims.contains(victim) })
            Report.fact("scale.workerCount", pool.workerCount)
            FaultScenarios.reportProcesses(before + after, as: "scale.processes")
        }
    }
}

private func secondsOf(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
