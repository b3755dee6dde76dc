import PoolScenarios
import Testing

extension MPIRunTests {
    /// Records logged in tasks reach the pool's logger; the library's own routine events are debug.
    @Suite("logging")
    struct LoggingTests {
        /// A record as the scenario reports it: the scenario's own type.
        private typealias Record = SeenRecord

        @Test("plain start: task records reach rank 0's logger with rank and host; routine events are debug")
        func plainStart() throws {
            try check(try MPIJob.runAlone(scenarios, arguments: ["logging"]), processes: nil)
        }

        @Test("mpirun --enable-recovery -np 3: task records reach rank 0's logger with rank and host")
        func underMPIRun() throws {
            let job = try MPIJob.run(
                scenarios, processes: 3, arguments: ["logging"], extraMPIArguments: ["--enable-recovery"])
            try check(job, processes: 3)
        }

        private func check(_ job: MPIJob, processes: Int?) throws {
            job.expectSuccess()
            let tasks = try job.fact("logging.tasks", as: [Record].self)
            #expect(tasks.map(\.message) == (0..<6).map { "processing item \($0)" })
            for record in tasks {
                #expect(record.level == "info")
                #expect(Int(record.metadata["rank"] ?? "") ?? 0 >= 1, "\(record.metadata)")
                #expect(record.metadata["host"]?.isEmpty == false)
                #expect(record.metadata["item"] == record.message.split(separator: " ").last.map(String.init))
            }
            // The task's logger is at info: its debug line never left the worker.
            #expect(!job.standardError.contains("filters out"))
            // A clean run: the library said nothing above debug, and said at debug that workers came.
            let levels = try job.fact("logging.libraryLevels", as: [String].self)
            let messages = try job.fact("logging.libraryMessages", as: [String].self)
            #expect(
                levels.allSatisfy { $0 == "debug" || $0 == "trace" }, "\(zip(levels, messages).map { "\($0) \($1)" })")
            #expect(messages.contains { $0.contains(") is ready") })
        }
    }
}
