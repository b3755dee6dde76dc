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
