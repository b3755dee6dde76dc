import Foundation
import Testing

extension MPIRunTests {
    /// What tasks print on workers reaches rank 0's terminal, whole lines, tagged with rank and host.
    @Suite("worker output")
    struct OutputTests {
        @Test("plain start: every line from every worker arrives once, whole, tagged with its rank and host")
        func plainStart() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["output"])
            job.expectSuccess()
            try checkLines(job, tagged: true)
        }

        @Test("mpirun -np 3: every line from every worker arrives once, whole, tagged with its rank and host")
        func underMPIRun() throws {
            let job = try MPIJob.run(scenarios, processes: 3, arguments: ["output"])
            job.expectSuccess()
            try checkLines(job, tagged: true)
        }

        @Test("SWIFTPOOL_OUTPUT_TAGS=0 keeps lines whole and drops the tags")
        func untagged() throws {
            let job = try MPIJob.runAlone(scenarios, arguments: ["output"], environment: ["SWIFTPOOL_OUTPUT_TAGS": "0"])
            job.expectSuccess()
            try checkLines(job, tagged: false)
        }

        private func checkLines(_ job: MPIJob, tagged: Bool) throws {
            let items = try job.fact("output.items", as: Int.self)
            let ranks = try job.fact("output.ranks", as: [Int].self)
            let host = try job.fact("output.host", as: String.self)
            let out = lines(job.standardOutput)
            let err = lines(job.standardError)
            // Which rank printed a line, read from its tag.
            func split(_ line: Substring) -> (rank: Int?, text: Substring) {
                guard tagged else { return (nil, line) }
                guard line.hasPrefix("[rank "), let close = line.firstIndex(of: "]") else { return (nil, line) }
                let fields = line[line.index(line.startIndex, offsetBy: 6)..<close].split(separator: " ")
                guard fields.count == 2, fields[1] == host else { return (nil, line) }
                return (Int(fields[0]), line[line.index(close, offsetBy: 2)...])
            }
            var seen: [String: Int] = [:]
            for line in out + err {
                let (rank, text) = split(line)
                guard text.hasPrefix("item ") else { continue }
                if tagged { #expect(rank.map(ranks.contains) == true, "untagged or wrong tag: \(line.prefix(80))") }
                // A line cut by another would hold a second tag or item.
                #expect(!text.contains("[rank "), "a line was cut: \(line.prefix(120))")
                seen[String(text), default: 0] += 1
            }
            let long = String(repeating: "x", count: 20_000)
            for item in 0..<items {
                for number in 0..<50 {
                    #expect(seen["item \(item) line \(number)"] == 1, "item \(item) line \(number)")
                }
                #expect(seen["item \(item) long \(long)"] == 1, "item \(item)'s long line")
                #expect(seen["item \(item) partial rest"] == 1, "item \(item)'s line written in two parts")
                #expect(seen["item \(item) error"] == 1, "item \(item)'s standard error line")
            }
            let errorLines = err.filter { split($0).text.hasPrefix("item ") }
            #expect(errorLines.count == items, "standard error lines stay on standard error")
        }

        private func lines(_ text: String) -> [Substring] { text.split(whereSeparator: \.isNewline) }
    }
}
