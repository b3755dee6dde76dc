import Logging
import Synchronization

/// Where SwiftPool's runtime on rank 0 logs: the `Logger` of the pool that started it (swift-log's
/// guidance for libraries: the program hands its logger in). Warnings are what a person must know
/// (a worker lost, a signal); routine events (a worker connected, started, replaced) are `debug`.
/// Records forwarded from tasks on workers go here too, with `rank` and `host` metadata.
enum RuntimeLog {
    private static let current = Mutex<Logger?>(nil)

    /// Takes the first pool's logger; later pools do not replace it.
    static func adopt(_ logger: Logger) { current.withLock { $0 = $0 ?? logger } }

    /// The runtime's logger; before any pool, one that logs nothing.
    static var logger: Logger {
        current.withLock { $0 } ?? Logger(label: "SwiftPool", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    static func warning(_ message: @autoclosure () -> String) { logger.warning("\(message())") }
    static func error(_ message: @autoclosure () -> String) { logger.error("\(message())") }
    static func debug(_ message: @autoclosure () -> String) { logger.debug("\(message())") }
}
