/// What a frame asks for or reports. One frame travels as one MPI message.
enum FrameKind: UInt8 {
    /// Executor → worker: run a function on one argument, or on each argument of a chunk.
    case task = 1
    /// Executor → worker: run a pool's initializer before that pool's first task here.
    case initialize
    /// Executor → worker: no more work; finalize MPI and exit.
    case stop
    /// Worker → executor: a task's encoded result.
    case result
    /// Worker → executor: a task failed; the payload is an encoded ``TaskFailure``.
    case failure
    /// Worker → executor: a pool's initializer failed here; the payload is an encoded ``TaskFailure``.
    case initializerFailure
    /// Worker → executor: a pool's initializer ran here without error.
    case initialized
    /// Executor → worker: keep a shared value (id in the header) for the tasks that name it. The
    /// body is laid out as a task frame's, with the value's type name and the value.
    case share
    /// Executor → worker: drop a shared value (id in the header); no task will name it again.
    case forgetShared
    /// Either way, over MPI: the next frame is too big for one message and follows in pieces
    /// (``PiecesAnnouncement``).
    case pieces
    /// Worker → executor: the worker of this rank (the id) is up and takes frames; the body is
    /// its process id (UInt64).
    case ready
    /// Worker → executor: a log record a task wrote (an encoded ``ForwardedLogRecord``).
    case log
    /// Supervisor → executor: the worker of this rank (the id) ended; the body says how
    /// (``WorkerEndFrame``).
    case workerEnded
    /// Executor → supervisor: start a worker of this rank (the id) in place of the one lost.
    case startWorker
    /// Executor → supervisor: end the worker of this rank (the id) now: its task ran too long, or
    /// `terminate()` stops it.
    case endWorker
    /// Supervisor on rank 0's host → executor: the worker of this rank (the id) talks to rank 0
    /// directly, through the shared memory this frame names (UTF-8 after the header).
    case workerMemory
    /// Either way between the executor and a supervisor, over MPI: the frames that follow are
    /// for (or from) the worker of this rank (the id).
    case route
    /// Executor → supervisor: the worker of this rank (the id) has run its `maxTasksPerWorker`
    /// and holds no task; stop it as at the job's end (it is replaced when its end is reported).
    case retireWorker
    /// Executor → supervisor: hold each worker to this many bytes resident (the id; 0 for no
    /// limit), the smallest `workerMemoryLimit` of the pools open.
    case memoryLimit
    /// Executor → a worker that shares rings with it: ring this slot (the id) of the doorbell
    /// open as the descriptor of the process the body names, after each write into the ring.
    case doorbell
}

/// What a stop frame's id asks of a worker.
enum StopMode: UInt64 {
    /// End with `MPI_Finalize`, as every process of the job does.
    case finalize = 0
    /// Exit at once without `MPI_Finalize`: a process of the job is gone, and finalizing would
    /// wait for it forever.
    case exitNow = 1
}

/// How a task frame's argument is laid out.
enum TaskShape: UInt8 {
    /// One argument; the result is one value.
    case single = 0
    /// An array of arguments; the result is the array of their results, in order.
    case chunk = 1
}

/// The fixed header every frame starts with: kind, flags, then the task or pool it concerns.
///
/// Layout: kind (1 byte), flags (1 byte), id (8 bytes). Task frames follow with the pool (4 bytes),
/// the shape (1 byte), the function's mangled type name (LEB128 length and UTF-8), then the encoded
/// function value and the encoded argument. Result and failure frames follow with the task's run
/// time and the encoded payload (``ReplyFrame``). A frame whose top-level value is a large array of plain numbers carries that array as
/// an attachment: the next message from the same sender, with the attachment tag.
struct FrameHeader {
    static let size = 10

    var kind: FrameKind
    /// Whether an attachment message follows this frame.
    var hasAttachment = false
    /// A task id for task, result and failure frames; a pool id for initialize and
    /// initializer-failure frames.
    var id: UInt64

    init(kind: FrameKind, hasAttachment: Bool = false, id: UInt64) {
        self.kind = kind
        self.hasAttachment = hasAttachment
        self.id = id
    }

    func write(into buffer: WireBuffer) {
        buffer.append(kind.rawValue)
        buffer.append(UInt8(hasAttachment ? 1 : 0))
        buffer.append(id)
    }

    /// Marks a frame written earlier as followed by an attachment.
    static func markAttachment(in buffer: WireBuffer) { buffer.overwrite(UInt8(1), at: 1) }

    static func read(from bytes: UnsafeRawBufferPointer) throws -> FrameHeader {
        guard bytes.count >= size, let kind = FrameKind(rawValue: bytes[0]) else {
            throw PoolError(.protocolViolation, "received a malformed frame of \(bytes.count) bytes")
        }
        return FrameHeader(
            kind: kind, hasAttachment: bytes[1] & 1 != 0,
            id: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt64.self)))
    }
}

/// MPI tags: frames and their attachments travel apart, so a receiver probing for frames never
/// takes an attachment by mistake; MPI keeps the messages of one sender and tag in order.
enum MessageTag {
    static let frame: Int32 = 0
    static let attachment: Int32 = 1
    /// Rank 0's ``Welcome`` to a worker, once, right after start-up.
    static let welcome: Int32 = 2
    /// The pieces of a frame too big for one message, after its ``PiecesAnnouncement``.
    static let framePiece: Int32 = 3
}

/// The body of a result or failure frame: how long the task ran on the worker (8 bytes, in
/// nanoseconds), then the encoded result or ``TaskFailure``. The run time is measured where the
/// task ran, so a stall on rank 0 or on the way cannot make tasks look longer than they are.
enum ReplyFrame {
    static let runTimeOffset = FrameHeader.size
    static let payloadOffset = FrameHeader.size + 8

    /// Starts a reply: the header and a run time to fill in with ``setRunTime(_:in:)``.
    static func start(kind: FrameKind, id: UInt64, into buffer: WireBuffer) {
        FrameHeader(kind: kind, id: id).write(into: buffer)
        buffer.append(UInt64(0))
    }

    static func setRunTime(_ nanos: UInt64, in buffer: WireBuffer) { buffer.overwrite(nanos, at: runTimeOffset) }

    static func runTime(of bytes: UnsafeRawBufferPointer) throws -> UInt64 {
        guard bytes.count >= payloadOffset else {
            throw PoolError(.protocolViolation, "received a reply frame of \(bytes.count) bytes")
        }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: runTimeOffset, as: UInt64.self))
    }
}

/// A frame ready to send: its bytes and, when its top-level value is a large raw array, that
/// array's bytes to send as the next message straight from the array's own storage.
struct OutgoingFrame: Sendable {
    var bytes: WireBuffer
    var attachment: OutgoingAttachment?

    /// Total bytes on the wire.
    var byteCount: Int { bytes.count + (attachment?.count ?? 0) }

    /// Whether the frame or its attachment is too big for one MPI message.
    var needsPieces: Bool { bytes.count > MessagePieces.bytes || (attachment?.count ?? 0) > MessagePieces.bytes }
}

/// Sent over MPI instead of a frame too big for one message: the sizes of the frame and its
/// attachment, and of the pieces they follow in. The frame's pieces come with the frame-piece tag,
/// then its attachment's with the attachment tag.
///
/// Layout: a frame header of kind ``FrameKind/pieces`` (id 0), then three UInt64: frame bytes,
/// attachment bytes, piece bytes.
struct PiecesAnnouncement {
    var frameBytes: Int
    var attachmentBytes: Int
    var pieceBytes: Int

    init(for frame: OutgoingFrame) {
        frameBytes = frame.bytes.count
        attachmentBytes = frame.attachment?.count ?? 0
        pieceBytes = MessagePieces.bytes
    }

    func encoded() -> WireBuffer {
        let buffer = WireBuffer(capacity: FrameHeader.size + 24)
        FrameHeader(kind: .pieces, id: 0).write(into: buffer)
        buffer.append(UInt64(frameBytes))
        buffer.append(UInt64(attachmentBytes))
        buffer.append(UInt64(pieceBytes))
        return buffer
    }

    init(from bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count == FrameHeader.size + 24 else {
            throw PoolError(.protocolViolation, "received a pieces announcement of \(bytes.count) bytes")
        }
        func field(_ index: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size + 8 * index, as: UInt64.self))
        }
        guard let frame = Int(exactly: field(0)), let attachment = Int(exactly: field(1)),
            let piece = Int(exactly: field(2)), frame >= FrameHeader.size, piece > 0
        else {
            throw PoolError(.protocolViolation, "received a pieces announcement with impossible sizes")
        }
        frameBytes = frame
        attachmentBytes = attachment
        pieceBytes = piece
    }
}

/// The body of a task or initialize frame, as the worker reads it.
struct TaskFrame {
    var pool: UInt32
    var shape: TaskShape
    /// The function's mangled type name, as UTF-8 in the frame.
    var functionTypeNameUTF8: UnsafeRawBufferPointer
    /// The encoded function value followed by the encoded argument.
    var body: UnsafeRawBufferPointer

    var functionTypeName: String { String(decoding: functionTypeNameUTF8, as: UTF8.self) }

    static func write(
        pool: UInt32, shape: TaskShape, functionTypeName: String, into buffer: WireBuffer
    ) {
        buffer.append(pool)
        buffer.append(shape.rawValue)
        buffer.appendUTF8(functionTypeName)
    }

    static func read(from bytes: UnsafeRawBufferPointer) throws -> TaskFrame {
        let reader = ValueReader(bytes: bytes)
        reader.cursor = FrameHeader.size
        let pool = try reader.readFixed(UInt32.self)
        try reader.need(1)
        guard let shape = TaskShape(rawValue: reader.bytes[reader.cursor]) else {
            throw PoolError(.protocolViolation, "unknown task shape \(reader.bytes[reader.cursor])")
        }
        reader.cursor += 1
        let length = try reader.readLength()
        let name = UnsafeRawBufferPointer(rebasing: bytes[reader.cursor..<reader.cursor + length])
        reader.cursor += length
        return TaskFrame(
            pool: pool, shape: shape, functionTypeNameUTF8: name,
            body: UnsafeRawBufferPointer(rebasing: bytes[reader.cursor...]))
    }
}
