// The program the integration tests start under mpirun: `PoolScenarios <scenario>`. Every rank
// runs it; rank 0 prints `RESULT <name> <json>` lines for the test to check.
import Foundation
import SwiftPool

@main
struct PoolScenarios {
    static func main() async throws {
        let name = CommandLine.arguments.dropFirst().first ?? "help"
        switch name {
        case "map": try withPool(MapScenarios.orderedMap)
        case "map-timeout": try withPool(MapScenarios.timeout)
        case "map-failing-item": try withPool(MapScenarios.failingItem)
        case "stream": try await MPIPoolExecutor.run { pool in try await MapScenarios.stream(pool) }
        case "every-worker": try withPool(MapScenarios.everyWorker)
        case "remote-error": try withPool(ErrorScenarios.remoteError)
        case "coding-failures": try withPool(ErrorScenarios.codingFailures)
        case "unknown-type": try withPool(ErrorScenarios.unknownType)
        case "payload-too-large": try withPool(ErrorScenarios.payloadTooLarge)
        case "initializer": try ErrorScenarios.initializerFailure()
        case "futures": try await MPIPoolExecutor.run { pool in try await FutureScenarios.futures(pool) }
        case "callbacks": try FutureScenarios.callbacks()
        case "many-tasks": try withPool(FutureScenarios.manyTasks)
        case "shutdown": try LifecycleScenarios.submitAfterShutdown()
        case "cancel-at-shutdown": try LifecycleScenarios.cancelAtShutdown()
        case "several-pools": try LifecycleScenarios.severalPools()
        case "big-argument": try withPool(LifecycleScenarios.bigArgument)
        case "no-argument": try withPool(LifecycleScenarios.noArgument)
        case "idle-cpu": try withPool { try LifecycleScenarios.idleCPU($0, seconds: 2) }
        case "exit-code":
            // A body that throws: the error reaches the caller after the pool has drained.
            do {
                try withPool { pool in
                    _ = try pool.submit(SleepThenEcho(seconds: 0.2), 1)
                    throw ItemError(item: 42)
                }
            } catch {
                Report.fact("exit.caught", "\(error)")
                exit(3)
            }
        case "different-builds":
            Report.fact("builds.outcome", Report.outcome { try withPool { _ in } })
        case "start":
            // How a pool starts here: its workers, where they run, how long it took, or why not.
            let start = ContinuousClock.now
            let requested = CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) }
            let outcome = Report.outcome {
                try MPIPoolExecutor.run(maxWorkers: requested) { pool in
                    Report.fact("start.workers", pool.maxWorkers)
                    let placed = try pool.map(
                        SleepAndPlace(seconds: 0.02), Array(0..<(pool.maxWorkers * 6)), chunkSize: 1)
                    Report.fact("start.ranks", Set(placed.map(\.placement.rank)).sorted())
                    Report.fact("start.hosts", Set(placed.map(\.placement.host)).sorted())
                    Report.fact("start.remote", Report.outcome { try pool.submit(FailOn(failing: [1]), 1).result() })
                    // The first failing item is one that ran on the last host: its error names it.
                    let lastHost = placed.map(\.placement.host).max() ?? ""
                    Report.fact("start.failingHost", lastHost)
                    Report.fact(
                        "start.hostError",
                        Report.outcome {
                            try pool.map(FailOnHost(host: lastHost), Array(0..<(pool.maxWorkers * 6)), chunkSize: 1)
                        })
                }
            }
            Report.fact("start.outcome", outcome)
            Report.fact("start.seconds", secondsSince(start))
            Report.fact(
                "start.startupSeconds",
                MPIPoolExecutor.startupDuration.map {
                    Double($0.components.attoseconds) / 1e18 + Double($0.components.seconds)
                })
        default:
            print("usage: PoolScenarios <scenario>")
            exit(2)
        }
    }

    /// The blocking `run`, named apart so async `main` does not pick the async overload.
    static func withPool(_ body: (MPIPoolExecutor) throws -> Void) throws {
        try MPIPoolExecutor.run(body)
    }
}
