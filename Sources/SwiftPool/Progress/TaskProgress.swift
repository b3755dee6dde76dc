import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How far a group of tasks has got: a `map`, a `mapStream`, or any batch of `submit`s handed
/// the same tracker. What tqdm around `executor.map` shows, counted from rank 0's own
/// bookkeeping: no message is sent to learn it.
///
/// Counts are in items: a `submit` is one item, and a `map` counts each of its items (a chunk's
/// items move together, so a map tracked this way is split into at least 100 chunks).
///
/// ```swift
/// let squares = try pool.map(Square(), 0..<1_000_000, progress: .bar)   // a bar on the terminal
///
/// let progress = TaskProgress(total: jobs.count)                       // or watch it yourself
/// for job in jobs { _ = try pool.submit(Render(), job, progress: progress) }
/// print(progress.snapshot)   // "120/400 done, 2 running, 278 queued, 35.1/s, 8 s left"
/// ```
public final class TaskProgress: Sendable {
    private let counts = Mutex(Counts())
    private let startedNanos = monotonicNanos()
    private let bar: ProgressBar?

    private struct Counts {
        var queued = 0
        var running = 0
        var done = 0
        var failed = 0
        var cancelled = 0
        var total: Int?
        var finished = false
    }

    /// A tracker with a known `total` (the count of items its tasks will have), or none when the
    /// input's length is unknown. With `showsBar`, a bar is drawn on standard error while the
    /// tasks run, if standard error is a terminal (nothing is drawn otherwise).
    public init(total: Int? = nil, showsBar: Bool = false) {
        counts.withLock { $0.total = total }
        bar = showsBar ? ProgressBar.onTerminal() : nil
        bar?.start(reading: self)
    }

    /// A new tracker that draws a bar on the terminal: `pool.map(f, items, progress: .bar)`.
    public static var bar: TaskProgress { TaskProgress(showsBar: true) }

    /// The counts now.
    public var snapshot: Snapshot {
        let counts = counts.withLock { $0 }
        let elapsed = monotonicNanos() &- startedNanos
        let settled = counts.done + counts.failed
        let rate = elapsed > 0 ? Double(settled) / (Double(elapsed) / 1e9) : 0
        let left = counts.total.map { max($0 - settled - counts.cancelled, 0) } ?? (counts.queued + counts.running)
        let estimate: Duration? =
            rate > 0 && settled > 0 && !counts.finished ? .nanoseconds(Int64(Double(left) / rate * 1e9)) : nil
        return Snapshot(
            done: counts.done, failed: counts.failed, running: counts.running, queued: counts.queued,
            cancelled: counts.cancelled, total: counts.total, elapsed: .nanoseconds(Int64(elapsed)), rate: rate,
            estimatedTimeLeft: estimate, isFinished: counts.finished)
    }

    /// Marks the group finished: a bar draws its last line. A `map` calls it as it returns; a
    /// batch of submits with a known total finishes by itself when its last task does.
    public func finish() {
        let first = counts.withLock { counts -> Bool in
            defer { counts.finished = true }
            return !counts.finished
        }
        if first { bar?.finish(reading: self) }
    }

    // MARK: Counting (SwiftPool internal)

    /// Sets the total if none was given: a map's item count.
    func setTotalIfUnknown(_ total: Int) { counts.withLock { $0.total = $0.total ?? total } }

    func queued(_ items: Int) { counts.withLock { $0.queued += items } }

    func started(_ items: Int) {
        counts.withLock {
            $0.queued -= items
            $0.running += items
        }
    }

    func settled(_ items: Int, failed: Bool, wasRunning: Bool) {
        let complete = counts.withLock { counts -> Bool in
            if wasRunning { counts.running -= items } else { counts.queued -= items }
            if failed { counts.failed += items } else { counts.done += items }
            return counts.total.map { counts.done + counts.failed + counts.cancelled >= $0 } ?? false
        }
        if complete { finish() }
    }

    func cancelled(_ items: Int) {
        counts.withLock {
            $0.queued -= items
            $0.cancelled += items
        }
    }
}

extension TaskProgress {
    /// The counts of a ``TaskProgress`` at one moment, in items.
    public struct Snapshot: Sendable, CustomStringConvertible {
        /// Finished with a value.
        public var done: Int
        /// Finished with an error.
        public var failed: Int
        /// On a worker now.
        public var running: Int
        /// Waiting for a worker.
        public var queued: Int
        /// Cancelled before they ran.
        public var cancelled: Int
        /// How many items there are in all, when known.
        public var total: Int?
        /// Time since the tracker was made.
        public var elapsed: Duration
        /// Items finished (done or failed) per second, on average since the start.
        public var rate: Double
        /// At the average rate so far, how long the rest takes; nil until an item has finished,
        /// and once the group has.
        public var estimatedTimeLeft: Duration?
        /// Whether the group has finished (see ``TaskProgress/finish()``).
        public var isFinished: Bool

        /// The share of the total that has finished, 0...1, when the total is known.
        public var fractionDone: Double? {
            guard let total, total > 0 else { return total == 0 ? 1 : nil }
            return min(Double(done + failed + cancelled) / Double(total), 1)
        }

        /// A one-line account, as the bar shows it.
        public var description: String {
            var parts = ["\(done + failed)\(total.map { "/\($0)" } ?? "") done"]
            if failed > 0 { parts.append("\(failed) failed") }
            if running > 0 { parts.append("\(running) running") }
            if queued > 0 { parts.append("\(queued) queued") }
            if cancelled > 0 { parts.append("\(cancelled) cancelled") }
            parts.append(formatRate(rate))
            if let estimatedTimeLeft { parts.append("\(formatDuration(estimatedTimeLeft)) left") }
            if isFinished { parts.append("in \(formatDuration(elapsed))") }
            return parts.joined(separator: ", ")
        }
    }
}

private func formatRate(_ rate: Double) -> String {
    if rate >= 1e6 { return "\(round(rate / 1e5) / 10)M/s" }
    if rate >= 1e4 { return "\(Int(rate / 1e3))k/s" }
    return rate >= 100 ? "\(Int(rate))/s" : "\(round(rate * 10) / 10)/s"
}

/// `0.4 s`, `37 s`, `4:05`, `1:02:03`.
func formatDuration(_ duration: Duration) -> String {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    if seconds < 10 { return "\(round(seconds * 10) / 10) s" }
    if seconds < 60 { return "\(Int(seconds)) s" }
    let whole = Int(seconds)
    let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
    let mm = minutes < 10 && hours > 0 ? "0\(minutes)" : "\(minutes)"
    let ss = secs < 10 ? "0\(secs)" : "\(secs)"
    return hours > 0 ? "\(hours):\(mm):\(ss)" : "\(mm):\(ss)"
}
