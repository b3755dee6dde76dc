import ArgumentParser
import Foundation
import SwiftPool

/// What rank 0 holds for its workers once they are all up: open descriptors, threads and resident
/// memory, read from /proc/self, and the time the pool took to start. Run it at two worker counts
/// to get the cost of one more worker (`make bench` does: 64 and 256).
struct Footprint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rank 0's descriptors, threads and resident memory with every worker ready.")

    @Option(help: "Workers (the plain start's; under mpirun, one per rank but 0).") var workers: Int?

    func run() throws {
        try MPIPoolExecutor.run(maxWorkers: workers) { pool in
            try pool.bootup()
            // Every worker has served, so each ring has been written both ways.
            _ = try pool.map(Increment(), Array(0..<(pool.maxWorkers * 4)), chunkSize: 1)
            let name = "footprint.\(pool.maxWorkers)workers"
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
            figure("\(name).descriptors", Double(descriptors), "count")
            figure("\(name).threads", Double(Self.status("Threads") ?? -1), "count")
            figure("\(name).rssMB", Double(Self.status("VmRSS") ?? -1) / 1024, "MB")
            figure("\(name).startupSeconds", MPIPoolExecutor.startupDuration.map(elapsedSeconds) ?? -1, "s")
        }
    }

    /// A number from /proc/self/status (kB for sizes).
    private static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
}
