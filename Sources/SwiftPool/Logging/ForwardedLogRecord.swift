import Logging

/// One log record a task wrote on a worker, on its way to rank 0's logger with the worker's frames.
struct ForwardedLogRecord: Codable, Sendable {
    var level: String
    var label: String
    var message: String
    var metadata: [String: String]
    var source: String
    var file: String
    var function: String
    var line: UInt

    /// Hands the record to rank 0's logger, naming the worker it came from.
    func log(to logger: Logger, rank: Int, host: String) {
        var merged = Logger.Metadata()
        for (key, value) in metadata { merged[key] = .string(value) }
        merged["rank"] = .stringConvertible(rank)
        merged["host"] = .string(host)
        merged["label"] = .string(label)
        logger.log(
            level: Logger.Level(rawValue: level) ?? .info, "\(message)", metadata: merged, source: source, file: file,
            function: function, line: line)
    }
}

/// The handler behind ``PoolProcess/logger(label:)`` on a worker: encodes each record and sends
/// it to rank 0, whose logger prints or stores it with the worker's `rank` and `host`.
struct ForwardingLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all: [String: String] = [:]
        for (key, value) in metadata { all[key] = value.description }
        for (key, value) in event.metadata ?? [:] { all[key] = value.description }
        let record = ForwardedLogRecord(
            level: event.level.rawValue, label: label, message: event.message.description, metadata: all,
            source: event.source, file: event.file, function: event.function, line: event.line)
        guard let bytes = try? WireEncoder.encode(record), WorkerReplies.send(log: bytes) else {
            // Not a worker (this is rank 0): the record goes to standard error.
            printToStandardError("\(event.level) \(label): \(event.message)")
            return
        }
    }
}
