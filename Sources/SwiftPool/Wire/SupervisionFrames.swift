/// The bodies of the frames that carry a worker's start and end between a worker's parent and
/// rank 0 (built by ``FrameEncoder``).
enum WorkerEndFrame {
    /// How the worker ended, from a ``FrameKind/workerEnded`` frame: a kind (0 exited, 1 killed by
    /// a signal, 2 unknown, 3 past the memory limit) and its code or signal, both UInt32; for kind
    /// 3, then the resident bytes and the limit, both UInt64.
    static func read(from bytes: UnsafeRawBufferPointer) throws -> WorkerEnd {
        guard bytes.count == FrameHeader.size + 8 || bytes.count == FrameHeader.size + 24 else {
            throw PoolError(.protocolViolation, "received a worker-ended frame of \(bytes.count) bytes")
        }
        let kind = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size, as: UInt32.self))
        let value = Int32(
            bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size + 4, as: UInt32.self))
        )
        switch kind {
        case 0: return .exited(code: value)
        case 1: return .signalled(value)
        case 3 where bytes.count == FrameHeader.size + 24:
            return .passedMemoryLimit(
                resident: UInt64(
                    littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size + 8, as: UInt64.self)),
                limit: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size + 16, as: UInt64.self))
            )
        default: return .vanished
        }
    }
}

enum ReadyFrame {
    /// The process id a ``FrameKind/ready`` frame carries.
    static func processID(from bytes: UnsafeRawBufferPointer) throws -> Int32 {
        guard bytes.count == FrameHeader.size + 8 else {
            throw PoolError(.protocolViolation, "received a ready frame of \(bytes.count) bytes")
        }
        return Int32(
            truncatingIfNeeded: UInt64(
                littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size, as: UInt64.self)))
    }
}

enum WorkerMemoryFrame {
    /// The worker's process and the shared-memory name a ``FrameKind/workerMemory`` frame carries.
    static func read(from bytes: UnsafeRawBufferPointer) throws -> (processID: Int32, name: String) {
        guard bytes.count > FrameHeader.size + 4 else {
            throw PoolError(.protocolViolation, "received a worker-memory frame of \(bytes.count) bytes")
        }
        let processID = Int32(
            bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size, as: UInt32.self)))
        let name = String(decoding: bytes[(FrameHeader.size + 4)...], as: UTF8.self)
        guard processID > 0, name.hasPrefix("/swiftpool-"), name.count < 128, !name.dropFirst().contains("/") else {
            throw PoolError(
                .protocolViolation,
                "received a worker-memory frame naming \(name.debugDescription) for process \(processID)")
        }
        return (processID, name)
    }
}

enum DoorbellFrame {
    /// The slot, rank 0's process id and the doorbell's descriptor a ``FrameKind/doorbell`` frame
    /// carries.
    static func read(from bytes: UnsafeRawBufferPointer) throws -> (slot: Int, processID: Int32, descriptor: Int32) {
        guard bytes.count == FrameHeader.size + 8 else {
            throw PoolError(.protocolViolation, "received a doorbell frame of \(bytes.count) bytes")
        }
        let header = try FrameHeader.read(from: bytes)
        let processID = Int32(
            bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size, as: UInt32.self)))
        let descriptor = Int32(
            bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: FrameHeader.size + 4, as: UInt32.self))
        )
        guard header.id < UInt64(Doorbell.capacity), processID > 0, descriptor >= 0 else {
            throw PoolError(
                .protocolViolation, "received a doorbell frame for slot \(header.id) of process \(processID)")
        }
        return (Int(header.id), processID, descriptor)
    }
}
