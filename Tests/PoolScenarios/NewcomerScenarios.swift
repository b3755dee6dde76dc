import Foundation
import SwiftPool

/// What a newcomer's first program meets: code before the pool runs in every process, and the
/// plain start grows when a later pool asks for more workers.
enum NewcomerScenarios {
    /// `guarded-append PATH`: before any pool, every process appends a line to `PATH.all`, and
    /// only the program (guarded with `PoolProcess.isWorker`) appends one to `PATH`; rank 0 then
    /// counts both files' lines.
    static func guardedAppend(path: String) throws {
        let isWorker = PoolProcess.isWorker
        append("\(getpid())\n", to: path + ".all")
        if !isWorker { append("program\n", to: path) }
        try MPIPoolExecutor.run { pool in
            Report.fact("guarded.isWorkerOnRankZero", isWorker)
            Report.fact("guarded.workers", pool.maxWorkers)
            let workersSeeIt = try pool.map(WorkerFlag(), Array(0..<(pool.maxWorkers * 4)), chunkSize: 1)
            Report.fact("guarded.workersSayWorker", workersSeeIt.allSatisfy { $0 })
            Report.fact("guarded.lines", lines(in: path))
            Report.fact("guarded.allLines", lines(in: path + ".all"))
        }
    }

    /// `grow`: a pool of one worker, then a pool asking for two: in the plain start the second
    /// gets two (one started for it); under a launcher, the ranks there are.
    static func grow() throws {
        try MPIPoolExecutor.run(maxWorkers: 1) { pool in
            Report.fact("grow.first", pool.maxWorkers)
            let seen = try pool.map(Identify(seconds: 0.01), Array(0..<8), chunkSize: 1)
            Report.fact("grow.firstProcesses", Set(seen.map(\.processID)).count)
        }
        try MPIPoolExecutor.run(maxWorkers: 2) { pool in
            Report.fact("grow.second", pool.maxWorkers)
            try pool.bootup()
            Report.fact("grow.secondCount", pool.workerCount)
            let seen = try pool.map(Identify(seconds: 0.02), Array(0..<16), chunkSize: 1)
            Report.fact("grow.secondProcesses", Set(seen.map(\.processID)).count)
        }
    }

    private static func append(_ line: String, to path: String) {
        let handle = fopen(path, "a")
        defer { if let handle { fclose(handle) } }
        fputs(line, handle)
    }

    private static func lines(in path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }
}

/// What `PoolProcess.isWorker` says inside a task.
struct WorkerFlag: RemoteFunction {
    func callAsFunction(_ item: Int) -> Bool { PoolProcess.isWorker }
}
