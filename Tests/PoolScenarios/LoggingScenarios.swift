import Foundation
import Logging
import SwiftPool
import Synchronization

/// Logs from a task through the pool's forwarding logger.
struct LogSomething: RemoteFunction {
    func callAsFunction(_ item: Int) -> Int {
        let log = PoolProcess.logger(label: "app")
        log.info("processing item \(item)", metadata: ["item": "\(item)"])
        log.debug("a debug line the task's logger level filters out \(item)")
        return item
    }
}

/// A log record as the scenario reports it (the tests decode this type).
public struct SeenRecord: Codable, Sendable {
    /// The record's level.
    public var level: String
    /// Its message.
    public var message: String
    /// Its metadata, as text.
    public var metadata: [String: String]
}

/// Keeps every record rank 0's logger receives.
struct CollectingHandler: LogHandler {
    let store: CollectingStore
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { all[key] = "\(value)" }
        let record = SeenRecord(level: event.level.rawValue, message: "\(event.message)", metadata: all)
        store.records.withLock { $0.append(record) }
    }
}

enum LoggingScenarios {
    /// `logging`: the pool gets a logger at `debug` that keeps what it receives; six tasks log.
    static func run() throws {
        let store = CollectingStore()
        let logger = Logger(label: "scenario") { _ in CollectingHandler(store: store) }
        try MPIPoolExecutor.run(logger: logger) { pool in
            _ = try pool.map(LogSomething(), Array(0..<6), chunkSize: 1)
        }
        // Forwarded records travel beside the results; give the last ones a moment.
        let deadline = Date().addingTimeInterval(3)
        while store.fromTasks.count < 6 && Date() < deadline { usleep(10_000) }
        Report.fact("logging.tasks", store.fromTasks.sorted { $0.message < $1.message })
        Report.fact("logging.libraryLevels", store.fromLibrary.map(\.level))
        Report.fact("logging.libraryMessages", store.fromLibrary.map(\.message))
    }
}

/// Where the collecting handler keeps records; a class so every copy of the handler shares it.
final class CollectingStore: Sendable {
    let records = Mutex<[SeenRecord]>([])
    var fromTasks: [SeenRecord] { records.withLock { $0 }.filter { $0.metadata["label"] == "app" } }
    var fromLibrary: [SeenRecord] { records.withLock { $0 }.filter { $0.metadata["label"] == nil } }
}
