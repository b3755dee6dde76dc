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
        case "huge":
            try HugeScenarios.roundTrips(
                bytes: CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 3_000_000_000)
        case "initializer": try ErrorScenarios.initializerFailure()
        case "futures": try await MPIPoolExecutor.run { pool in try await FutureScenarios.futures(pool) }
        case "callbacks": try FutureScenarios.callbacks()
        case "many-tasks": try withPool(FutureScenarios.manyTasks)
        case "shutdown": try LifecycleScenarios.submitAfterShutdown()
        case "cancel-at-shutdown": try LifecycleScenarios.cancelAtShutdown()
        case "several-pools": try LifecycleScenarios.severalPools()
        case "big-argument": try withPool(LifecycleScenarios.bigArgument)
        case "no-argument": try withPool(LifecycleScenarios.noArgument)
        case "shared": try SharedScenarios.run(killingAWorker: CommandLine.arguments.dropFirst(2).first == "kill")
        case "interrupt":
            let arguments = Array(CommandLine.arguments.dropFirst(2))
            try await InterruptScenarios.run(
                signal: arguments.first == "SIGINT" ? SIGINT : SIGTERM, wholeGroup: arguments.contains("group"),
                external: arguments.contains("external"), async: arguments.contains("async"),
                slowSave: arguments.contains("slow-save"))
        case "output": try OutputScenarios.run()
        case "logging": try LoggingScenarios.run()
        case "progress": try ProgressScenarios.run()
        case "metrics": try MetricsScenarios.run()
        case "progress-bar": try ProgressScenarios.bar()
        case "idle-cpu": try withPool { try LifecycleScenarios.idleCPU($0, seconds: 2) }
        case "exit-code":
            // A body that throws: the error reaches the caller after the pool has drained.
            do {
                try withPool { pool in
                    Report.fact("exit.started", true)
                    _ = try pool.submit(SleepThenEcho(seconds: 0.2), 1)
                    throw ItemError(item: 42)
                }
            } catch {
                Report.fact("exit.caught", "\(error)")
                exit(3)
            }
        case "fault-map": try FaultScenarios.killDuringMap(signal: signalArgument(default: SIGKILL))
        case "detect":
            try FaultScenarios.detectKill(
                signal: signalArgument(default: SIGKILL), supervisor: CommandLine.arguments.contains("supervisor"))
        case "crash":
            let how = CommandLine.arguments.dropFirst(2).first.flatMap(Deadly.How.init(rawValue:)) ?? .fatalError
            try FaultScenarios.crashingTask(
                how: how, retries: CommandLine.arguments.dropFirst(3).first.flatMap { Int($0) })
        case "all-dead": try FaultScenarios.allWorkersDead()
        case "link-down": try FaultScenarios.linkDown()
        case "task-timeout": try FaultScenarios.taskTimeout()
        case "crash-loop": try FaultScenarios.crashLoop()
        case "chaos": try FaultScenarios.chaos()
        case "scale-kill":
            try ScaleScenarios.killDuringMap(count: CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 5)
        case "ctrl-c": try FaultScenarios.controlC()
        case "death-mid-map":
            try SupervisionScenarios.deathDuringMap(how: CommandLine.arguments.dropFirst(2).first ?? "sigkill")
        case "print-and-exit": try SupervisionScenarios.printAndExit()
        case "descriptors": try SupervisionScenarios.descriptors()
        case "max-tasks": try LimitScenarios.maxTasks()
        case "guarded-append":
            try NewcomerScenarios.guardedAppend(
                path: CommandLine.arguments.dropFirst(2).first ?? "/tmp/swiftpool-guarded")
        case "grow": try NewcomerScenarios.grow()
        case "bootup": try await ContractScenarios.bootup()
        case "workers-setting": try ContractScenarios.workersSetting()
        case "timeouts": try await ContractScenarios.timeouts()
        case "actions": try await ContractScenarios.actions()
        case "submit-at-exit": try ContractScenarios.submitAtExit()
        case "cpython-max-tasks": try LimitScenarios.cpythonMaxTasks()
        case "memory-limit": try LimitScenarios.memoryLimit()
        case "memory-idle": try LimitScenarios.memoryIdle()
        case "terminate": try LimitScenarios.terminate(async: CommandLine.arguments.contains("async"))
        case "oom": try FaultScenarios.outOfMemory()
        case "lifeline-guard": try LifelineScenarios.guardScenario()
        case "different-builds":
            Report.fact("builds.outcome", Report.outcome { try withPool { _ in } })
        case "start-deleted":
            // The program's file is gone (deleted, or moved by a rebuild): no worker can start.
            unlink(CommandLine.arguments[0])
            let start = ContinuousClock.now
            Report.fact("start.outcome", Report.outcome { try MPIPoolExecutor.run { _ in } })
            Report.fact("start.seconds", secondsSince(start))
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

    /// The signal named by the second argument (`SIGTERM`, `15`), or `default`.
    static func signalArgument(default value: Int32) -> Int32 {
        guard let text = CommandLine.arguments.dropFirst(2).first else { return value }
        let names: [String: Int32] = ["SIGKILL": SIGKILL, "SIGTERM": SIGTERM, "SIGSEGV": SIGSEGV, "SIGINT": SIGINT]
        return names[text] ?? Int32(text) ?? value
    }

    /// The blocking `run`, named apart so async `main` does not pick the async overload.
    static func withPool(_ body: (MPIPoolExecutor) throws -> Void) throws {
        try MPIPoolExecutor.run(body)
    }
}
