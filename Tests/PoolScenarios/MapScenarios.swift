import SwiftPool

enum MapScenarios {
    /// Ordered map for several chunk sizes, over an array, a range and nothing.
    static func orderedMap(_ pool: MPIPoolExecutor) throws {
        let items = Array(0..<37)
        for chunkSize in [1, 3, 37, 100] {
            Report.fact("map.chunk\(chunkSize)", try pool.map(Square(), items, chunkSize: chunkSize))
        }
        Report.fact("map.auto", try pool.map(Square(), items))
        Report.fact("map.range", try pool.map(Square(), 1...10))
        Report.fact("map.empty", try pool.map(Square(), [Int]()))
        Report.fact("map.badChunk", Report.outcome { try pool.map(Square(), items, chunkSize: 0) })
        Report.fact("map.generic", try pool.map(Echo<String>(), ["a", "b", "c"]))
        Report.fact("map.async", try pool.map(AsyncSleepThenDouble(), [1, 2, 3]))
    }

    /// A map that cannot finish in time throws `timedOut` at the timeout, not when the work ends.
    static func timeout(_ pool: MPIPoolExecutor) throws {
        let start = ContinuousClock.now
        let outcome = Report.outcome {
            try pool.map(SleepThenEcho(seconds: 0.5), Array(0..<8), chunkSize: 1, timeout: .milliseconds(200))
        }
        Report.fact("timeout.outcome", outcome)
        Report.fact("timeout.seconds", secondsSince(start))
        Report.fact("timeout.after", try pool.map(Square(), [4]))
    }

    /// The first failing item in input order decides the error, whatever the chunking.
    static func failingItem(_ pool: MPIPoolExecutor) throws {
        for chunkSize in [1, 5, 40] {
            Report.fact(
                "failing.chunk\(chunkSize)",
                Report.outcome { try pool.map(FailOn(failing: [7, 13]), Array(0..<40), chunkSize: chunkSize) })
        }
        Report.fact("failing.after", try pool.map(Square(), [5]))
    }

    /// The streaming form over an endless input, in order and as finished.
    static func stream(_ pool: MPIPoolExecutor) async throws {
        var ordered: [Int] = []
        for try await square in pool.mapStream(Square(), (1...).lazy.map { $0 }, ordered: true) {
            ordered.append(square)
            if ordered.count == 5000 { break }
        }
        Report.fact("stream.orderedPrefix", Array(ordered.prefix(10)))
        Report.fact("stream.orderedAll", ordered == (1...5000).map { $0 * $0 })
        var unordered: [Int] = []
        for try await square in pool.mapStream(Square(), 0..<1000) { unordered.append(square) }
        Report.fact("stream.unorderedSorted", unordered.sorted() == (0..<1000).map { $0 * $0 })
        Report.fact("stream.unorderedCount", unordered.count)
        var failure: Report.Outcome?
        do {
            for try await _ in pool.mapStream(FailOn(failing: [300]), 0..<1000, ordered: true) {}
        } catch {
            failure = Report.failure(error)
        }
        Report.fact("stream.failure", failure)
    }

    /// Tasks land on every worker.
    static func everyWorker(_ pool: MPIPoolExecutor) throws {
        let placed = try pool.map(SleepAndPlace(seconds: 0.02), Array(0..<40), chunkSize: 1)
        Report.fact("every.items", placed.map(\.item))
        Report.fact("every.ranks", Set(placed.map(\.placement.rank)).sorted())
        Report.fact("every.workers", pool.maxWorkers)
    }
}
