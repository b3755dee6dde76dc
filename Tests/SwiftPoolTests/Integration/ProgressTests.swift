import Foundation
import PoolScenarios
import Testing

extension MPIRunTests {
    @Suite("progress")
    struct ProgressTests {
        /// What the scenario saw of a tracker, and its final counts: the scenario's own types.
        private typealias Seen = ProgressSeen
        private typealias Final = FinalCounts

        @Test(
            "a tracker counts a map, a batch of submits, cancellations and a stream while they run", arguments: [1, 3])
        func counts(processes: Int) throws {
            let job = try MPIJob.run(scenarios, processes: processes, arguments: ["progress"])
            job.expectSuccess()

            let map = try job.fact("progress.map", as: Seen.self)
            #expect(map.samples > 10)
            #expect(map.sawRunning && map.sawPartial && map.sawEstimate)
            #expect(map.doneNeverWentBack && map.countsAlwaysAddUp)
            #expect(map.final.done == 400 && map.final.total == 400 && map.final.failed == 0)
            #expect(map.final.running == 0 && map.final.queued == 0 && map.final.isFinished)
            #expect(map.final.fraction == 1)
            #expect(map.final.line.hasPrefix("400/400 done"), "\(map.final.line)")

            let batch = try job.fact("progress.batch", as: Seen.self)
            #expect(batch.sawRunning && batch.sawPartial && batch.doneNeverWentBack && batch.countsAlwaysAddUp)
            #expect(batch.final.done == 59 && batch.final.failed == 1 && batch.final.total == 60)
            // A batch with a known total finishes by itself with its last task.
            #expect(batch.final.isFinished)
            #expect(batch.final.line.contains("60/60 done, 1 failed"), "\(batch.final.line)")

            let cancelledCount = try job.fact("progress.cancelledCount", as: Int.self)
            let cancelled = try job.fact("progress.cancelled", as: Final.self)
            #expect(cancelledCount > 0)
            #expect(cancelled.cancelled == cancelledCount)
            #expect(cancelled.done + cancelled.cancelled == (processes == 1 ? 1 : processes - 1) + 10)

            #expect(try job.fact("progress.streamCount", as: Int.self) == 300)
            let stream = try job.fact("progress.stream", as: Seen.self)
            #expect(stream.sawRunning && stream.doneNeverWentBack)
            #expect(stream.final.done == 300 && stream.final.total == nil && stream.final.isFinished)
            #expect(stream.final.fraction == nil)
        }

        @Test("the bar redraws at most 10 times a second on a terminal, ends in one line, and stays off a pipe")
        func bar() throws {
            let executable = MPIJob.productsFolder.appendingPathComponent(scenarios).path
            // `script` runs the program on a pseudo-terminal and copies what it wrote.
            let onTerminal = try MPIJob.launch(
                ["script", "-qfec", "\(executable) progress-bar", "/dev/null"], timeout: 60)
            onTerminal.expectSuccess()
            let output = onTerminal.standardOutput
            let seconds = try onTerminal.fact("bar.seconds", as: Double.self)
            // Scalars, not Characters: "\r\n" (script's line end) is one Character in Swift.
            let redraws = output.unicodeScalars.filter { $0 == "\r" }.count
            let newlines = output.unicodeScalars.filter { $0 == "\n" }.count
            let barDraws = output.components(separatedBy: "\r[").count - 1
            #expect(barDraws >= 2, "output: \(output.debugDescription)")
            #expect(Double(barDraws) <= seconds * 10 + 3, "\(barDraws) draws in \(seconds) s")
            #expect(redraws >= barDraws && newlines >= 1)
            let lastDraw = output.components(separatedBy: "\r[").last ?? ""
            #expect(lastDraw.contains("] 100% 300/300 done"), "last draw: \(lastDraw.debugDescription)")
            #expect(lastDraw.contains("\u{1B}[K\r\n") || lastDraw.contains("\u{1B}[K\n"))

            let onPipe = try MPIJob.runAlone(scenarios, arguments: ["progress-bar"])
            onPipe.expectSuccess()
            #expect(!onPipe.standardError.contains("\r["), "stderr: \(onPipe.standardError.debugDescription)")
        }
    }
}
