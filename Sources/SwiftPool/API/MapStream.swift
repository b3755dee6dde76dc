import DequeModule

extension MPIPoolExecutor {
    /// Applies `function` to items as they are read and yields the results as an `AsyncSequence`:
    /// `mpi4py.futures`' `map(..., unordered=True)`, or Python 3.14's `map(..., buffersize=)`.
    ///
    /// Input is read lazily and only `readAhead` chunks are in flight at a time, so an endless
    /// input works and memory stays bounded. Errors come out of the iteration: the first failing
    /// chunk's error is thrown and the chunks still queued are cancelled.
    ///
    /// - Parameters:
    ///   - function: the function to apply, with its stored properties.
    ///   - items: any sequence of arguments, read lazily; it may be endless.
    ///   - chunkSize: items per task. By default chunks start at one item and double while a chunk
    ///     comes back within a millisecond, up to 4096 (and the pool's `maxTasksPerWorker`), so
    ///     cheap items are batched and costly ones are spread.
    ///   - ordered: `false` (the default) yields results as chunks finish; `true` yields them in
    ///     input order.
    ///   - readAhead: how many chunks may be in flight; two per worker by default.
    ///   - timeout: how long the whole stream may take, counted from this call. Results that
    ///     arrive in time are yielded; then iteration throws ``PoolError/Code/timedOut``, saying
    ///     how many items were unfinished, and the queued chunks are cancelled, as `map` does.
    ///   - progress: a tracker to count the items in (`.bar` draws a bar on the terminal); it
    ///     finishes when the stream ends.
    public func mapStream<F: RemoteFunction, S: Sequence<F.Argument>>(
        _ function: F, _ items: S, chunkSize: Int? = nil, ordered: Bool = false, readAhead: Int? = nil,
        timeout: Duration? = nil, progress: TaskProgress? = nil
    ) -> MapStream<F, S> {
        MapStream(
            pool: self, function: function, items: items, chunkSize: chunkSize, ordered: ordered, readAhead: readAhead,
            timeout: timeout, deadline: Deadline(after: timeout), progress: progress)
    }
}

/// The results of ``MPIPoolExecutor/mapStream(_:_:chunkSize:ordered:readAhead:timeout:progress:)``,
/// produced as they are iterated.
public struct MapStream<F: RemoteFunction, S: Sequence<F.Argument>>: AsyncSequence {
    /// Each element is one item's result.
    public typealias Element = F.Output

    let pool: MPIPoolExecutor
    let function: F
    let items: S
    let chunkSize: Int?
    let ordered: Bool
    let readAhead: Int?
    let timeout: Duration?
    let deadline: Deadline
    let progress: TaskProgress?

    /// Starts reading the input; nothing is submitted before the first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(
            state: StreamState(
                pool: pool, function: function, input: items.makeIterator(), chunkSize: chunkSize, ordered: ordered,
                readAhead: readAhead, timeout: timeout.map { ($0, deadline) }, progress: progress))
    }

    /// Reads input, keeps chunks in flight and hands out their results.
    public struct Iterator: AsyncIteratorProtocol {
        let state: StreamState<F, S>

        /// The next result; nil once the input is used up and every result handed out.
        public mutating func next() async throws -> F.Output? { try await state.next() }
    }
}

/// The iterator's working state. A class, so that dropping the iterator cancels what it queued.
final class StreamState<F: RemoteFunction, S: Sequence<F.Argument>> {
    private let pool: MPIPoolExecutor
    private let function: F
    private var input: S.Iterator
    private var inputExhausted = false
    private var chunkSize: Int
    private let adaptsChunkSize: Bool
    private let ordered: Bool
    private let readAhead: Int
    private var setupError: (any Error)?
    private var name = ""
    private let progress: TaskProgress?
    /// The stream's timeout and when it passes.
    private let timeout: (duration: Duration, deadline: Deadline)?
    /// Items submitted, and those of chunks whose results were taken, for a timeout's message.
    private var itemsSubmitted = 0
    private var itemsTaken = 0

    private struct Chunk {
        var future: Future<[F.Output]>
        var submittedAt: UInt64
    }

    private var pending: [Int: Chunk] = [:]
    private var submissionOrder = Deque<Int>()
    private var nextIndex = 0
    /// Indices of chunks in the order they finished, for the unordered stream.
    private let finished = Mailbox<Int>()
    private var buffer: [F.Output] = []
    private var bufferPosition = 0
    private var isOver = false

    static var maximumChunkSize: Int { 4096 }
    /// A chunk that comes back faster than this is too small to pay for its message.
    static var fastChunkNanos: UInt64 { 1_000_000 }

    init(
        pool: MPIPoolExecutor, function: F, input: S.Iterator, chunkSize: Int?, ordered: Bool, readAhead: Int?,
        timeout: (Duration, Deadline)?, progress: TaskProgress?
    ) {
        self.pool = pool
        self.timeout = timeout
        self.progress = progress
        self.function = function
        self.input = input
        self.chunkSize = chunkSize ?? 1
        self.adaptsChunkSize = chunkSize == nil
        self.ordered = ordered
        self.readAhead = max(readAhead ?? pool.maxWorkers * 2, 1)
        if let chunkSize, chunkSize < 1 {
            setupError = PoolError(.invalidArgument, "chunkSize must be at least 1, not \(chunkSize)")
        } else if let readAhead, readAhead < 1 {
            setupError = PoolError(.invalidArgument, "readAhead must be at least 1, not \(readAhead)")
        } else {
            do { name = try FunctionLookup.checkFindable(F.self) } catch { setupError = error }
        }
    }

    deinit {
        for chunk in pending.values { chunk.future.cancel() }
        progress?.finish()
    }

    func next() async throws -> F.Output? {
        if let setupError {
            self.setupError = nil
            isOver = true
            throw setupError
        }
        while true {
            if bufferPosition < buffer.count {
                defer { bufferPosition += 1 }
                return buffer[bufferPosition]
            }
            if isOver { return nil }
            try fillReadAhead()
            guard !pending.isEmpty else {
                isOver = true
                progress?.finish()
                return nil
            }
            do {
                let index = ordered ? submissionOrder.removeFirst() : try await nextFinished()
                if ordered { try await waitUntilDone(index) }
                let chunk = pending.removeValue(forKey: index)!
                buffer = try await chunk.future.value
                bufferPosition = 0
                itemsTaken += chunk.future.items
                adapt(after: chunk)
            } catch {
                isOver = true
                for other in pending.values { other.future.cancel() }
                pending.removeAll()
                progress?.finish()
                throw error
            }
        }
    }

    /// Reads input and submits chunks until `readAhead` are in flight or the input ends.
    private func fillReadAhead() throws {
        while pending.count < readAhead && !inputExhausted {
            var arguments: [F.Argument] = []
            arguments.reserveCapacity(chunkSize)
            while arguments.count < chunkSize, let item = input.next() { arguments.append(item) }
            if arguments.count < chunkSize { inputExhausted = true }
            guard !arguments.isEmpty else { return }
            try pool.checkAcceptsWork("map")
            let future = Future<[F.Output]>(tracker: pool.outstanding, progress: progress, items: arguments.count)
            pool.outstanding.taskSubmitted()
            let index = nextIndex
            nextIndex += 1
            if ordered {
                submissionOrder.append(index)
            } else {
                let finished = finished
                future.onResolved { finished.push(index) }
            }
            pending[index] = Chunk(future: future, submittedAt: monotonicNanos())
            itemsSubmitted += arguments.count
            try pool.enqueue(
                function, named: name, shape: .chunk, argument: arguments, items: arguments.count, completion: future)
        }
    }

    private func nextFinished() async throws -> Int {
        switch await finished.next(deadline: timeout?.deadline ?? Deadline(after: nil)) {
        case .value(let index): return index
        case .cancelled: throw CancellationError()
        case .timedOut: throw timedOut()
        }
    }

    /// Waits until the chunk at `index` is done (in-order streams), or the timeout passes: the
    /// chunk's end is the one thing the mailbox then receives.
    private func waitUntilDone(_ index: Int) async throws {
        guard let future = pending[index]?.future, !future.isDone else { return }
        let finished = finished
        future.onResolved { finished.push(index) }
        _ = try await nextFinished()
    }

    /// The timeout's error: the items submitted and not yet handed out count as unfinished, as
    /// do those the stream had not read yet (it does not know how many; they are not counted).
    private func timedOut() -> PoolError {
        PoolError.mapTimedOut(
            "mapStream", after: timeout?.duration ?? .zero, unfinished: itemsSubmitted - itemsTaken,
            of: itemsSubmitted)
    }

    private func adapt(after chunk: Chunk) {
        // A chunk larger than maxTasksPerWorker would run past the limit on one process.
        let largest = min(Self.maximumChunkSize, pool.maxTasksPerWorker ?? .max)
        guard adaptsChunkSize, chunkSize < largest else { return }
        if monotonicNanos() &- chunk.submittedAt < Self.fastChunkNanos {
            chunkSize = min(chunkSize * 2, largest)
        }
    }
}
