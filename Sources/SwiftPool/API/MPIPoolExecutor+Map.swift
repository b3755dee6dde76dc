extension MPIPoolExecutor {
    /// Applies `function` to every item on the workers and returns the results in input order
    /// (`Executor.map(fn, iterable, timeout, chunksize)`).
    ///
    /// Items travel in chunks, one task per chunk, to amortise the cost of a message.
    ///
    /// - Parameters:
    ///   - function: the function to apply, with its stored properties.
    ///   - items: any sequence of arguments (an array, a range, ...); it is read once, up front.
    ///   - chunkSize: items per task; by default chosen so every worker gets about four chunks, and
    ///     at most the pool's `maxTasksPerWorker`.
    ///   - timeout: how long the whole map may take, counted from the call.
    ///   - progress: a tracker to count the items in (`.bar` draws a bar on the terminal); its
    ///     total is set to the item count if it has none, and it finishes when the map returns.
    /// - Throws: the error of the first failing item in input order (the rest of the map is
    ///   cancelled), ``PoolError/Code/timedOut`` when `timeout` passes, or ``PoolError`` when the
    ///   pool cannot take the work.
    @available(*, noasync, message: "blocks the thread; async code gets the async overload")
    @inlinable
    public func map<F: RemoteFunction, S: Sequence<F.Argument>>(
        _ function: F, _ items: S, chunkSize: Int? = nil, timeout: Duration? = nil, progress: TaskProgress? = nil
    ) throws -> [F.Output] {
        // Inlinable, so that reading the items and joining the results is compiled for the
        // caller's concrete types: a copy, not a generic call per element.
        Self.joined(try mapChunks(function, Array(items), chunkSize: chunkSize, timeout: timeout, progress: progress))
    }

    /// Applies `function` to every item on the workers and returns the results in input order,
    /// suspending instead of blocking. See the blocking overload for the parameters.
    @inlinable
    public func map<F: RemoteFunction, S: Sequence<F.Argument>>(
        _ function: F, _ items: S, chunkSize: Int? = nil, timeout: Duration? = nil, progress: TaskProgress? = nil
    ) async throws -> [F.Output] {
        Self.joined(
            try await mapChunks(function, Array(items), chunkSize: chunkSize, timeout: timeout, progress: progress))
    }

    @inlinable
    static func joined<Output>(_ parts: [[Output]]) -> [Output] {
        var results: [Output] = []
        results.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { results += part }
        return results
    }

    /// The blocking map: submits the chunks and waits for each in order.
    @usableFromInline
    @available(*, noasync)
    func mapChunks<F: RemoteFunction>(
        _ function: F, _ arguments: [F.Argument], chunkSize: Int?, timeout: Duration?, progress: TaskProgress?
    ) throws -> [[F.Output]] {
        defer { progress?.finish() }
        let deadline = Deadline(after: timeout)
        let chunks = try submitChunks(function, arguments, chunkSize: chunkSize, progress: progress)
        do {
            return try chunks.map { try $0.result(timeout: deadline.remaining.map { .nanoseconds($0) }) }
        } catch let error as PoolError where error.code == .timedOut {
            let unfinished = Self.unfinishedItems(chunks)
            for chunk in chunks { chunk.cancel() }
            throw PoolError.mapTimedOut("map", after: timeout ?? .zero, unfinished: unfinished, of: arguments.count)
        } catch {
            for chunk in chunks { chunk.cancel() }
            throw error
        }
    }

    /// The async map: submits the chunks and awaits each in order, racing the timeout.
    @usableFromInline
    func mapChunks<F: RemoteFunction>(
        _ function: F, _ arguments: [F.Argument], chunkSize: Int?, timeout: Duration?, progress: TaskProgress?
    ) async throws -> [[F.Output]] {
        defer { progress?.finish() }
        let chunks = try submitChunks(function, arguments, chunkSize: chunkSize, progress: progress)
        let collect = { @Sendable () async throws -> [[F.Output]] in
            var parts: [[F.Output]] = []
            for chunk in chunks { parts.append(try await chunk.value) }
            return parts
        }
        do {
            guard let timeout else { return try await collect() }
            return try await withThrowingTaskGroup(of: [[F.Output]]?.self) { group in
                group.addTask { try await collect() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let parts = try await group.next()! else {
                    throw PoolError.mapTimedOut(
                        "map", after: timeout, unfinished: Self.unfinishedItems(chunks), of: arguments.count)
                }
                return parts
            }
        } catch {
            for chunk in chunks { chunk.cancel() }
            throw error
        }
    }

    /// How many items of these chunks are not done.
    static func unfinishedItems<Output>(_ chunks: [Future<Output>]) -> Int {
        chunks.reduce(0) { $0 + ($1.isDone ? 0 : $1.items) }
    }

    /// Splits the arguments into chunk tasks and submits them in order.
    private func submitChunks<F: RemoteFunction>(
        _ function: F, _ arguments: [F.Argument], chunkSize: Int?, progress: TaskProgress?
    ) throws -> [Future<[F.Output]>] {
        try checkAcceptsWork("map")
        if let chunkSize, chunkSize < 1 {
            throw PoolError(.invalidArgument, "chunkSize must be at least 1, not \(chunkSize)")
        }
        let name = try FunctionLookup.checkFindable(F.self)
        progress?.setTotalIfUnknown(arguments.count)
        // A chunk larger than maxTasksPerWorker would run past the limit on one process.
        let size =
            chunkSize
            ?? min(
                Self.automaticChunkSize(itemCount: arguments.count, workers: maxWorkers, tracked: progress != nil),
                maxTasksPerWorker ?? .max)
        var chunks: [Future<[F.Output]>] = []
        chunks.reserveCapacity((arguments.count + size - 1) / size)
        var start = 0
        while start < arguments.count {
            let end = min(start + size, arguments.count)
            let chunk = Future<[F.Output]>(tracker: outstanding, progress: progress, items: end - start)
            outstanding.taskSubmitted()
            let slice = ArraySliceEncoding(slice: arguments[start..<end])
            chunks.append(chunk)
            do {
                try enqueue(
                    function, named: name, shape: .chunk, argument: slice, items: end - start, completion: chunk)
            } catch {
                for chunk in chunks { chunk.cancel() }
                throw error
            }
            start = end
        }
        return chunks
    }

    /// About four chunks per worker, as `multiprocessing.Pool.map` chooses: enough to even out
    /// uneven items, few enough that the cost of a message stays negligible. A tracked map gets at
    /// least 100, so its progress moves in steps of 1 % or less.
    static func automaticChunkSize(itemCount: Int, workers: Int, tracked: Bool = false) -> Int {
        let chunks = max(max(workers, 1) * 4, tracked ? 100 : 0)
        return max(1, (itemCount + chunks - 1) / chunks)
    }
}
