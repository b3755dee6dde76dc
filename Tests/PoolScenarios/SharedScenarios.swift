import Foundation
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

enum SharedScenarios {
    /// `shared [kill]`: a 16 MB table shared with the pool and used by 200 tasks and a map, with
    /// what rank 0 sent counted; the same table as a plain property for comparison; a shared value
    /// of the user's own type; misuse (another pool, after release); and, with `kill`, a worker
    /// killed so its replacement must receive the table too.
    static func run(killingAWorker: Bool) throws {
        let table = (0..<2_000_000).map { Double($0) * 0.5 }
        try MPIPoolExecutor.run { pool in
            let before = MPIPoolExecutor.traffic
            let shared = try pool.share(table)
            let futures = try (0..<200).map { try pool.submit(SharedLookup(table: shared), $0 * 9_999) }
            let looked = try futures.map { try $0.result() }
            let afterSubmits = MPIPoolExecutor.traffic
            Report.fact("shared.correct", looked.map(\.value) == (0..<200).map { table[$0 * 9_999] })
            Report.fact("shared.ranks", Set(looked.map(\.worker.rank)).sorted())
            Report.fact("shared.valueBytes", table.count * 8)
            Report.fact("shared.sent", afterSubmits.sharedValuesSent - before.sharedValuesSent)
            Report.fact("shared.sentBytes", afterSubmits.sharedValueBytesSent - before.sharedValueBytesSent)
            Report.fact("shared.bytes", afterSubmits.bytesSent - before.bytesSent)

            let mapped = try pool.map(SharedLookup(table: shared), Array(0..<1000), chunkSize: 10)
            Report.fact("shared.mapCorrect", mapped.map(\.value) == (0..<1000).map { table[$0] })
            let afterMap = MPIPoolExecutor.traffic
            Report.fact("shared.mapSent", afterMap.sharedValuesSent - afterSubmits.sharedValuesSent)

            let plainBefore = MPIPoolExecutor.traffic
            let plain = try (0..<20).map { try pool.submit(PlainLookup(table: table), $0) }.map { try $0.result() }
            Report.fact("plain.correct", plain.map(\.value) == (0..<20).map { table[$0] })
            Report.fact("plain.bytes", MPIPoolExecutor.traffic.bytesSent - plainBefore.bytesSent)

            let glossary = try pool.share(Glossary(words: ["cat": "chat", "dog": "chien"], version: 3))
            Report.fact("shared.glossary", try pool.map(Translate(glossary: glossary), ["cat", "dog", "emu"]))

            if killingAWorker { try replaceAWorker(pool, shared: shared, table: table) }

            try MPIPoolExecutor.run { other in
                Report.fact("shared.otherPool", Report.outcome { try other.submit(SharedLookup(table: shared), 1) })
                Report.fact("shared.otherRelease", Report.outcome { try other.release(shared) })
                Report.fact("shared.otherMap", Report.outcome { try other.map(SharedLookup(table: shared), [1, 2]) })
            }

            let holders = Set(looked.map(\.worker.rank)).count
            let beforeRelease = MPIPoolExecutor.traffic
            try pool.release(shared)
            try pool.release(shared)
            // One task after the release: the scheduler has handled the release by then.
            _ = try pool.submit(Square(), 3).result()
            let afterRelease = MPIPoolExecutor.traffic
            Report.fact("release.holders", holders)
            Report.fact("release.frames", afterRelease.framesSent - beforeRelease.framesSent)
            Report.fact("release.submit", Report.outcome { try pool.submit(SharedLookup(table: shared), 1) })
            Report.fact("release.valueHere", shared.value[10])
            Report.fact("release.glossaryStillWorks", try pool.submit(Translate(glossary: glossary), "dog").result())
        }
    }

    /// Kills a worker that holds the table; the tasks after it need the table on the replacement.
    private static func replaceAWorker(_ pool: MPIPoolExecutor, shared: Shared<[Double]>, table: [Double]) throws {
        let holder = try pool.submit(SharedLookup(table: shared), 0).result().worker
        let before = MPIPoolExecutor.traffic
        kill(holder.processID, SIGKILL)
        var ranks = Set<Int>()
        let deadline = Date().addingTimeInterval(20)
        var correct = true
        while !ranks.contains(where: { $0 > pool.maxWorkers }) && Date() < deadline {
            let round = try pool.map(SharedLookup(table: shared), Array(0..<(pool.maxWorkers * 20)), chunkSize: 1)
            correct = correct && round.map(\.value) == (0..<(pool.maxWorkers * 20)).map { table[$0] }
            ranks.formUnion(round.map(\.worker.rank))
            usleep(50_000)
        }
        Report.fact("replace.correct", correct)
        Report.fact("replace.newRank", ranks.contains { $0 > pool.maxWorkers })
        Report.fact("replace.sent", MPIPoolExecutor.traffic.sharedValuesSent - before.sharedValuesSent)
    }
}
