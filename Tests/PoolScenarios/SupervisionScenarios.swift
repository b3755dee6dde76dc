import Foundation
import SwiftPool
import Synchronization

/// Worker processes under supervision: every way a task can end its process, in the middle of a
/// map, on every launcher; output that must outlive the program's end; descriptors a worker must
/// not inherit.
enum SupervisionScenarios {
    /// `death-mid-map HOW`: item 500 of a 2,000-task map ends its worker once, the way HOW says
    /// (fatalError, exit3, _exit99, segfault); `sigkill` kills a worker from outside by PID;
    /// `timeout` submits, beside the map, a task that never ends, which `taskTimeout` stops.
    /// Reports whether the map returned every result and how many live workers there are after.
    static func deathDuringMap(how: String) throws {
        try MPIPoolExecutor.run(taskTimeout: how == "timeout" ? .seconds(1) : nil) { pool in
            let before = try FaultScenarios.workers(pool)
            Report.fact("death.workersBefore", before.count)
            let marker = NSTemporaryDirectory() + "swiftpool-death-\(getpid())-\(UUID().uuidString)"
            defer { unlink(marker) }
            if how == "sigkill" {
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: 0.3)
                    kill(before[0].processID, SIGKILL)
                }
            }
            let runaway = how == "timeout" ? try pool.submit(RunForever(), 0) : nil
            let deadly = Deadly.How(rawValue: how)
            let function = CrashOnce(
                item: deadly == nil ? -1 : 500, how: deadly ?? .exit3, marker: marker, micros: 1000)
            let answers = try pool.map(function, Array(0..<2000), chunkSize: 1)
            Report.fact("death.correct", answers.map(\.square) == (0..<2000).map { $0 * $0 })
            if let runaway { Report.fact("death.runaway", Report.outcome { try runaway.result() }) }
            Report.fact("death.crashed", deadly == nil || access(marker, F_OK) == 0)
            let after = try FaultScenarios.workers(pool)
            Report.fact("death.workersAfter", after.count)
            Report.fact("death.allAlive", after.allSatisfy { kill($0.processID, 0) == 0 })
            Report.fact("death.ranksAfter", after.map(\.rank))
            FaultScenarios.reportProcesses(before + after, as: "death.processes")
        }
    }

    /// `print-and-exit`: submits one task that sleeps 200 ms and prints a line, and exits at once
    /// without waiting for it: the pool drains as the program ends, and the line must be printed.
    static func printAndExit() throws {
        let pool = try MPIPoolExecutor()
        _ = try pool.submit(PrintLine(text: "printed by the task before the program ended", seconds: 0.2), 0)
        Report.fact("printexit.submitted", true)
        exit(0)
    }

    /// `descriptors`: the descriptors each worker holds, seen from inside a task, after 100
    /// workers were killed and replaced while the program kept opening descriptors of its own.
    static func descriptors() throws {
        try MPIPoolExecutor.run { pool in
            // The program's own descriptor, opened without close-on-exec: a worker must not get it.
            let own = open("/dev/null", O_RDONLY)
            defer { close(own) }
            var killed = 0
            while killed < 100 {
                let seen = try pool.map(Identify(seconds: 0.001), Array(0..<(pool.maxWorkers * 2)), chunkSize: 1)
                for processID in Set(seen.map(\.processID)) where killed < 100 {
                    kill(processID, SIGKILL)
                    killed += 1
                }
            }
            let seen = try pool.map(OpenDescriptors(), Array(0..<(pool.maxWorkers * 8)), chunkSize: 1)
            Report.fact("descriptors.killed", killed)
            Report.fact("descriptors.sets", Set(seen.map(\.descriptors)).sorted { $0.count < $1.count })
            Report.fact("descriptors.workers", Set(seen.map(\.processID)).count)
        }
    }
}

/// Squares after `micros`; on `item` it ends its worker the way `how` says, but only on its first
/// run (the marker file says it ran), so the map's re-run finds every result.
struct CrashOnce: RemoteFunction {
    var item: Int
    var how: Deadly.How
    var marker: String
    var micros: UInt32

    func callAsFunction(_ x: Int) -> SlowSquare.Answer {
        if micros > 0 { usleep(micros) }
        if x == item, open(marker, O_CREAT | O_EXCL | O_WRONLY, 0o600) >= 0 {
            _ = Deadly(deadly: [x], how: how)(x)
        }
        return SlowSquare.Answer(square: x * x, processID: getpid())
    }
}

/// Sleeps, then prints a line on standard output.
struct PrintLine: RemoteFunction {
    var text: String
    var seconds: Double

    func callAsFunction(_ item: Int) -> Int {
        usleep(UInt32(seconds * 1_000_000))
        print(text)
        return item
    }
}

/// The descriptors open in the worker that runs it, from /proc/self/fd (the one it reads
/// through left out).
struct OpenDescriptors: RemoteFunction {
    struct Seen: Codable, Sendable {
        var processID: Int32
        /// Each descriptor with what it points at ("1 pipe:[123]").
        var descriptors: [String]
    }

    func callAsFunction(_ item: Int) -> Seen {
        usleep(20_000)
        var found: [Int32] = []
        if let folder = opendir("/proc/self/fd") {
            let own = dirfd(folder)
            while let entry = readdir(folder) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if let number = Int32(name), number != own { found.append(number) }
            }
            closedir(folder)
        }
        let described = found.sorted().map { number in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(number)")) ?? "?"
            // Pipe and socket numbers differ from worker to worker; their kind is what counts.
            return "\(number) \(target.split(separator: "[").first.map(String.init) ?? target)"
        }
        return Seen(processID: getpid(), descriptors: described)
    }
}
