import Foundation
import SwiftPool

/// Prints from a worker the ways tasks do: many short lines, a 20,000-character line, a line
/// written in two parts, and lines on standard error. Returns the rank it ran on.
struct Chatter: RemoteFunction {
    func callAsFunction(_ item: Int) -> Int {
        for line in 0..<50 { print("item \(item) line \(line)") }
        print("item \(item) long " + String(repeating: "x", count: 20_000))
        print("item \(item) partial", terminator: "")
        print(" rest")
        FileHandle.standardError.write(Data("item \(item) error\n".utf8))
        return PoolProcess.rank ?? -1
    }
}

enum OutputScenarios {
    /// `output`: every worker prints at once; the test reads rank 0's output.
    static func run() throws {
        try MPIPoolExecutor.run { pool in
            let ranks = try pool.map(Chatter(), Array(0..<(pool.maxWorkers * 4)), chunkSize: 1)
            Report.fact("output.items", ranks.count)
            Report.fact("output.ranks", Set(ranks).sorted())
            Report.fact("output.host", PoolProcess.hostName)
        }
    }
}
