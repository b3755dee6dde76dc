import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A one-line bar on standard error, redrawn in place at most ten times a second while a
/// ``TaskProgress`` counts, and left as one clean final line when it finishes.
///
/// `@unchecked Sendable`: its one mutable property is only touched on its serial queue.
final class ProgressBar: @unchecked Sendable {
    private var timer: (any DispatchSourceTimer)?
    private static let queue = DispatchQueue(label: "SwiftPool.progress")
    private static let redrawNanos = 100_000_000

    private init() {}

    /// A bar if standard error is a terminal; nil otherwise (a log file gets no bar).
    static func onTerminal() -> ProgressBar? { isatty(STDERR_FILENO) == 1 ? ProgressBar() : nil }

    func start(reading progress: TaskProgress) {
        let source = DispatchSource.makeTimerSource(queue: Self.queue)
        source.schedule(deadline: .now(), repeating: .nanoseconds(Self.redrawNanos))
        // The tracker owns the bar; the timer must not keep the tracker alive.
        source.setEventHandler { [weak progress] in
            guard let snapshot = progress?.snapshot else { return }
            // Nothing to show before the first task is counted.
            guard snapshot.total != nil || snapshot.queued + snapshot.running + snapshot.done + snapshot.failed > 0
            else { return }
            Self.draw(snapshot, final: false)
        }
        Self.queue.sync { timer = source }
        source.resume()
    }

    func finish(reading progress: TaskProgress) {
        // On the timer's queue, so the last line comes after any redraw already under way.
        Self.queue.sync {
            guard let source = timer else { return }
            timer = nil
            source.cancel()
            Self.draw(progress.snapshot, final: true)
        }
    }

    deinit { timer?.cancel() }

    /// Writes the line, `\r` first so it replaces the last one, erasing what is left of it.
    private static func draw(_ snapshot: TaskProgress.Snapshot, final: Bool) {
        let line = "\r" + render(snapshot, width: terminalColumns()) + "\u{1B}[K" + (final ? "\n" : "")
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// `[##########··········]  52% 5200/10000 done, 2 running, 52k/s, about 4.1 s left`, cut to fit.
    static func render(_ snapshot: TaskProgress.Snapshot, width: Int) -> String {
        var line = ""
        if let fraction = snapshot.fractionDone {
            let cells = 20
            let full = Int(fraction * Double(cells))
            let percent = Int(fraction * 100)
            line += "[" + String(repeating: "#", count: full) + String(repeating: "·", count: cells - full) + "] "
            line += String(repeating: " ", count: percent < 10 ? 2 : percent < 100 ? 1 : 0) + "\(percent)% "
        }
        line += snapshot.description
        return line.count < width ? line : String(line.prefix(max(width - 1, 10)))
    }

    private static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
