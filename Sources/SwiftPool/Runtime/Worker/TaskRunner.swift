#if canImport(Glibc)
    import Glibc
#endif

/// Runs task and initialize frames where the work happens (a worker, or rank 0 when the pool
/// runs in-process) and builds the reply frame: decode the function and argument, call, encode.
///
/// Everything that can go wrong comes back as a failure frame for that one task; nothing here
/// stops the process that serves.
final class TaskRunner {
    let rank: Int
    let host: String
    private let executor = InlineTaskExecutor()
    /// Pools whose initializer has run here: nil when it succeeded, the failure when it threw.
    private var initializedPools: [UInt32: TaskFailure?] = [:]
    /// The attachment of the frame being handled.
    private var attachment: (any IncomingAttachment)?
    /// The last function type and value used, with the bytes they were read from: a worker
    /// usually runs the same function many times in a row, and matching bytes is much cheaper
    /// than looking a type up by name and decoding a value.
    private var lastTypeName: [UInt8] = []
    private var lastType: (any RemoteFunction.Type)?
    private var lastFunctionBytes: [UInt8] = []
    private var lastFunction: (any RemoteFunction)?

    init(rank: Int, host: String) {
        self.rank = rank
        self.host = host
    }

    /// Handles one frame addressed to a worker, reading its attached array from `attachment`;
    /// returns the reply to send, if any.
    func handle(_ frame: WireBuffer, header: FrameHeader, attachment: (any IncomingAttachment)?) -> OutgoingFrame? {
        self.attachment = attachment
        defer { self.attachment = nil }
        do {
            switch header.kind {
            case .share:
                keepSharedValue(try TaskFrame.read(from: frame.bytes), id: header.id)
                return nil
            case .forgetShared:
                SharedValueStore.forget(id: header.id)
                // The function kept for reuse may hold the value: let it go with the value.
                lastFunction = nil
                lastFunctionBytes = []
                return nil
            default: break
            }
            let task = try TaskFrame.read(from: frame.bytes)
            switch header.kind {
            case .initialize:
                let failure = initialize(task)
                initializedPools[task.pool] = .some(failure)
                guard let failure else {
                    // Rank 0 learns the worker is ready, and that a task after this one has not
                    // started should the worker die now.
                    return FrameEncoder.initialized(pool: header.id)
                }
                return reply(.initializerFailure, id: header.id, failure: failure)
            case .task:
                if case .some(.some(let failure)) = initializedPools[task.pool] {
                    return reply(.failure, id: header.id, failure: .pool(brokenByInitializer(failure)))
                }
                let started = monotonicNanos()
                let reply = run(task, id: header.id)
                ReplyFrame.setRunTime(monotonicNanos() &- started, in: reply.bytes)
                return reply
            default:
                throw PoolError(.protocolViolation, "a worker cannot handle a \(header.kind) frame")
            }
        } catch {
            return reply(.failure, id: header.id, failure: .pool(asPoolError(error)))
        }
    }

    /// Decodes a shared value and keeps it for the tasks that name it, or keeps why it could not
    /// be decoded, for each of them to fail with.
    private func keepSharedValue(_ frame: TaskFrame, id: UInt64) {
        let reader = ValueReader(bytes: frame.body)
        reader.attachment = attachment
        do {
            let storage = try SharedValueTypes.decodeStorage(
                typeName: frame.functionTypeName, id: id, pool: frame.pool, from: reader)
            SharedValueStore.keep(.value(storage), id: id)
        } catch {
            let reason = decodingFailed("shared value #\(id) on rank \(rank) (\(host))", error)
            SharedValueStore.keep(.failed(reason), id: id)
        }
    }

    private func brokenByInitializer(_ failure: TaskFailure) -> PoolError {
        PoolError(.brokenPool, "the pool's initializer failed on rank \(rank) (\(host)): \(failure.error)")
    }

    /// The function type a frame names.
    private func functionType(of task: TaskFrame) -> (any RemoteFunction.Type)? {
        if let lastType, sameBytes(task.functionTypeNameUTF8, lastTypeName) { return lastType }
        guard let type = FunctionLookup.type(named: task.functionTypeName) else { return nil }
        lastTypeName = Array(task.functionTypeNameUTF8)
        lastType = type
        return type
    }

    /// The function value at the start of a frame's body, decoded or reused.
    private func functionValue<F: RemoteFunction>(_ type: F.Type, from reader: ValueReader) throws -> F {
        let end = try reader.endOfValue(at: reader.cursor)
        let bytes = UnsafeRawBufferPointer(rebasing: reader.bytes[reader.cursor..<end])
        if let last = lastFunction as? F, sameBytes(bytes, lastFunctionBytes) {
            reader.cursor = end
            return last
        }
        let function = try reader.readValue(F.self)
        lastFunctionBytes = Array(bytes)
        lastFunction = function
        return function
    }

    private func initialize(_ task: TaskFrame) -> TaskFailure? {
        guard let type = functionType(of: task) else {
            return .pool(unknownType(task.functionTypeName))
        }
        switch call(type, task, id: 0) {
        case .success: return nil
        case .failure(let failure): return failure
        }
    }

    private func run(_ task: TaskFrame, id: UInt64) -> OutgoingFrame {
        guard let type = functionType(of: task) else {
            return reply(.failure, id: id, failure: .pool(unknownType(task.functionTypeName)))
        }
        switch call(type, task, id: id) {
        case .success(let frame): return frame
        case .failure(let failure): return reply(.failure, id: id, failure: failure)
        }
    }

    private func unknownType(_ name: String) -> PoolError {
        PoolError(
            .unknownFunctionType,
            "rank \(rank) (\(host)) cannot find the function type named \(name); every rank must run the same executable"
        )
    }

    /// Decodes the function and argument as `F`, calls it, and encodes the result into a result
    /// frame: one argument, or (for a chunk) an array of them through `callAsFunction(chunk:)`.
    private func call<F: RemoteFunction>(_ type: F.Type, _ task: TaskFrame, id: UInt64)
        -> Swift.Result<OutgoingFrame, TaskFailure>
    {
        // Only failures need the function's name, and making it is slow: keep it lazy.
        var functionName: String { String(reflecting: F.self) }
        let reader = ValueReader(bytes: task.body)
        reader.attachment = attachment
        let function: F
        do {
            function = try functionValue(F.self, from: reader)
        } catch {
            return .failure(.pool(decodingFailed("the function value of \(functionName)", error)))
        }
        switch task.shape {
        case .single:
            return run(F.self, id: id, reading: F.Argument.self, from: reader, named: "the argument") {
                try await function($0)
            }
        case .chunk:
            return run(F.self, id: id, reading: [F.Argument].self, from: reader, named: "the arguments") {
                try await function(chunk: $0)
            }
        }
    }

    /// Reads the input, runs `body` on it in a task of the worker's own executor, and encodes what it
    /// returns; a thrown error becomes a ``RemoteError`` naming this worker.
    private func run<F: RemoteFunction, Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ function: F.Type, id: UInt64, reading input: Input.Type, from reader: ValueReader, named what: String,
        _ body: @escaping @Sendable (Input) async throws -> Output
    ) -> Swift.Result<OutgoingFrame, TaskFailure> {
        var functionName: String { String(reflecting: F.self) }
        let argument: Input
        do {
            argument = try reader.readValue(Input.self)
        } catch {
            return .failure(.pool(decodingFailed("\(what) of \(functionName) (\(Input.self))", error)))
        }
        let rank = rank
        let host = host
        let box = OutcomeBox<Swift.Result<Output, TaskFailure>>()
        let work: @Sendable () async -> Void = {
            do {
                box.value = .success(try await body(argument))
            } catch {
                box.value = .failure(
                    .remote(
                        RemoteError(
                            function: String(reflecting: F.self), rank: rank, host: host,
                            errorType: String(reflecting: Swift.type(of: error)), message: String(describing: error))))
            }
        }
        executor.run(work, until: { box.value != nil })
        switch box.value! {
        case .success(let output):
            do {
                return .success(
                    try FrameEncoder.result(output, id: id, what: "the result of \(functionName) (\(Output.self))"))
            } catch {
                return .failure(.pool(error))
            }
        case .failure(let failure): return .failure(failure)
        }
    }

    private func reply(_ kind: FrameKind, id: UInt64, failure: TaskFailure) -> OutgoingFrame {
        FrameEncoder.failure(failure, kind: kind, id: id)
    }
}
