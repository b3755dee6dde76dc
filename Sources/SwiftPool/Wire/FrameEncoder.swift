/// Builds every frame SwiftPool sends, one function per kind, so the format lives here alone: the
/// pool and the runtime hand over values and get a frame back, or a ``PoolError`` that names what
/// could not be encoded.
enum FrameEncoder {
    /// A task: the function and its argument (a large top-level array of plain numbers becomes the
    /// attachment). The handles of shared values the task holds are noted in `sharedValues`.
    static func task<F: RemoteFunction, A: Encodable>(
        id: UInt64, pool: UInt32, shape: TaskShape, functionName: String, function: F, argument: A,
        sharedValues: SharedValueLog
    ) throws(PoolError) -> OutgoingFrame {
        let frame = WireBuffer()
        FrameHeader(kind: .task, id: id).write(into: frame)
        TaskFrame.write(pool: pool, shape: shape, functionTypeName: functionName, into: frame)
        let writer = ValueWriter(buffer: frame, sharedValues: sharedValues)
        do {
            try FunctionEncodingCache.write(function, with: writer)
        } catch {
            throw encodingFailed("the function value \(String(reflecting: F.self))", error)
        }
        let attachment: OutgoingAttachment?
        do {
            attachment = try writer.writeTopLevel(argument)
        } catch {
            let shown = (A.self as? any ShownAsArgument.Type)?.shownName ?? "\(A.self)"
            throw encodingFailed("the argument of \(String(reflecting: F.self)) (\(shown))", error)
        }
        return finished(frame, attachment: attachment)
    }

    /// A pool's initializer, to run on a worker before the pool's first task there.
    static func initialize(_ initializer: some ArgumentlessRemoteFunction, pool: UInt32, functionName: String)
        throws(PoolError) -> OutgoingFrame
    {
        let frame = WireBuffer()
        FrameHeader(kind: .initialize, id: UInt64(pool)).write(into: frame)
        TaskFrame.write(pool: pool, shape: .single, functionTypeName: functionName, into: frame)
        do {
            try WireEncoder.encode(initializer, into: frame)
            try WireEncoder.encode(NoArgument(), into: frame)
        } catch {
            throw encodingFailed("the initializer \(String(reflecting: type(of: initializer)))", error)
        }
        return OutgoingFrame(bytes: frame)
    }

    /// A shared value, laid out as a task frame whose function name is the value's type name.
    static func share<Value: Encodable>(_ value: Value, id: UInt64, pool: UInt32, typeName: String)
        throws(PoolError) -> OutgoingFrame
    {
        let frame = WireBuffer()
        FrameHeader(kind: .share, id: id).write(into: frame)
        TaskFrame.write(pool: pool, shape: .single, functionTypeName: typeName, into: frame)
        do {
            return finished(frame, attachment: try ValueWriter(buffer: frame).writeTopLevel(value))
        } catch {
            throw encodingFailed("the shared value (\(Value.self))", error)
        }
    }

    /// Tells a worker to drop a shared value.
    static func forgetShared(id: UInt64) -> OutgoingFrame {
        let frame = WireBuffer()
        FrameHeader(kind: .forgetShared, id: id).write(into: frame)
        return OutgoingFrame(bytes: frame)
    }

    /// A worker's result frame; `what` names the value in an error ("the result of F (Int)").
    static func result<R: Encodable>(_ result: R, id: UInt64, what: @autoclosure () -> String) throws(PoolError)
        -> OutgoingFrame
    {
        let frame = WireBuffer()
        ReplyFrame.start(kind: .result, id: id, into: frame)
        do {
            return finished(frame, attachment: try ValueWriter(buffer: frame).writeTopLevel(result))
        } catch {
            throw encodingFailed(what(), error)
        }
    }

    /// A worker's failure frame (a task's, or an initializer's).
    static func failure(_ failure: TaskFailure, kind: FrameKind, id: UInt64) -> OutgoingFrame {
        let frame = WireBuffer()
        ReplyFrame.start(kind: kind, id: id, into: frame)
        do {
            try WireEncoder.encode(failure, into: frame)
        } catch {
            // TaskFailure holds only strings and integers; this cannot fail, but a reply must go out.
            fatalError("SwiftPool could not encode a task failure: \(error)")
        }
        return OutgoingFrame(bytes: frame)
    }

    /// The stop frame: end as `mode` says (a worker process, having no MPI, just exits).
    static func stop(_ mode: StopMode) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size)
        FrameHeader(kind: .stop, id: mode.rawValue).write(into: frame)
        return OutgoingFrame(bytes: frame)
    }

    /// A worker's word that a pool's initializer ran.
    static func initialized(pool: UInt64) -> OutgoingFrame {
        let frame = WireBuffer()
        FrameHeader(kind: .initialized, id: pool).write(into: frame)
        return OutgoingFrame(bytes: frame)
    }

    /// A worker's word that it is up: its rank and process id.
    static func ready(rank: Int, processID: Int32) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size + 8)
        FrameHeader(kind: .ready, id: UInt64(rank)).write(into: frame)
        frame.append(UInt64(UInt32(bitPattern: processID)))
        return OutgoingFrame(bytes: frame)
    }

    /// A log record from a task, already encoded.
    static func log(_ record: WireBuffer) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size + record.count)
        FrameHeader(kind: .log, id: 0).write(into: frame)
        frame.append(record.bytes)
        return OutgoingFrame(bytes: frame)
    }

    /// A supervisor's report that its worker of `rank` ended, and how.
    static func workerEnded(rank: Int, _ end: WorkerEnd) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size + 24)
        FrameHeader(kind: .workerEnded, id: UInt64(rank)).write(into: frame)
        switch end {
        case .passedMemoryLimit(let resident, let limit):
            frame.append(UInt32(3))
            frame.append(UInt32(0))
            frame.append(resident)
            frame.append(limit)
        case .signalled(let signal):
            frame.append(UInt32(1))
            frame.append(UInt32(bitPattern: signal))
        case .exited(let code):
            frame.append(UInt32(0))
            frame.append(UInt32(bitPattern: code))
        default:
            frame.append(UInt32(2))
            frame.append(UInt32(0))
        }
        return OutgoingFrame(bytes: frame)
    }

    /// A supervisor's word that its worker of `rank`, process `processID` on rank 0's host,
    /// shares the memory named `name` with rank 0.
    static func workerMemory(rank: Int, processID: Int32, name: String) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size + 4 + name.utf8.count)
        FrameHeader(kind: .workerMemory, id: UInt64(rank)).write(into: frame)
        frame.append(UInt32(bitPattern: processID))
        Array(name.utf8).withUnsafeBytes { frame.append($0) }
        return OutgoingFrame(bytes: frame)
    }

    /// The executor's order to a supervisor to hold its workers to `bytes` resident (0: no limit).
    static func memoryLimit(bytes: UInt64) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size)
        FrameHeader(kind: .memoryLimit, id: bytes).write(into: frame)
        return OutgoingFrame(bytes: frame)
    }

    /// Tells a worker which doorbell bit to set after writing into its ring: the slot (the id),
    /// then rank 0's process id and the doorbell's descriptor there (two Int32).
    static func doorbell(slot: Int, processID: Int32, descriptor: Int32) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size + 8)
        FrameHeader(kind: .doorbell, id: UInt64(slot)).write(into: frame)
        frame.append(UInt32(bitPattern: processID))
        frame.append(UInt32(bitPattern: descriptor))
        return OutgoingFrame(bytes: frame)
    }

    /// Which worker the frames that follow, between the executor and a supervisor, concern.
    static func route(rank: Int) -> OutgoingFrame { supervisorOrder(.route, rank: rank) }

    /// An executor's order to a supervisor, about the worker of `rank`: start one, or end it.
    static func supervisorOrder(_ kind: FrameKind, rank: Int) -> OutgoingFrame {
        let frame = WireBuffer(capacity: FrameHeader.size)
        FrameHeader(kind: kind, id: UInt64(rank)).write(into: frame)
        return OutgoingFrame(bytes: frame)
    }

    private static func finished(_ frame: WireBuffer, attachment: OutgoingAttachment?) -> OutgoingFrame {
        if attachment != nil { FrameHeader.markAttachment(in: frame) }
        return OutgoingFrame(bytes: frame, attachment: attachment)
    }
}
