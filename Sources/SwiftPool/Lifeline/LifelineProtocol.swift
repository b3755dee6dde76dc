/// What travels on a lifeline, a TCP connection from each supervisor (the MPI process of a rank
/// other than 0) to rank 0: rank 0 learns at once when the supervisor's process ends, and within
/// the silence allowed when its host is lost; the supervisor learns the same of rank 0; and the
/// output of the supervisor's workers travels on it.
///
/// A supervisor opens with a ``LifelineHello``. After that both sides send fixed five-byte
/// ``LifelineRecord``s: a kind byte and a little-endian `Int32`, so the reader parses them without
/// framing; output records are followed by their bytes.
enum LifelineProtocol {
    /// The first bytes of a hello ("SPLL"); anything else is dropped at once.
    static let lifelineMagic: [UInt8] = [0x53, 0x50, 0x4c, 0x4c]
    static let version: UInt8 = 3
}

/// The first bytes a supervisor sends on a connection to rank 0: magic, version, the job's secret,
/// its rank and process id.
struct LifelineHello: Equatable {
    static let size = LifelineProtocol.lifelineMagic.count + 1 + LifelineSecret.size + 4 + 4

    var rank: Int
    var processID: Int32

    func encoded(secret: LifelineSecret) -> [UInt8] {
        var bytes = LifelineProtocol.lifelineMagic + [LifelineProtocol.version] + secret.bytes
        withUnsafeBytes(of: UInt32(rank).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: processID.littleEndian) { bytes += $0 }
        return bytes
    }

    /// Whether the bytes received so far can still become a hello: lets the listener drop a
    /// stranger on its first wrong byte instead of waiting for a whole hello.
    static func isPlausiblePrefix(_ bytes: [UInt8]) -> Bool {
        zip(bytes, LifelineProtocol.lifelineMagic + [LifelineProtocol.version]).allSatisfy { $0 == $1 }
    }

    /// Reads a complete hello, or nil when it is not one from this job.
    static func read(_ bytes: [UInt8], secret: LifelineSecret) -> LifelineHello? {
        guard bytes.count == size, isPlausiblePrefix(bytes) else { return nil }
        let secretStart = LifelineProtocol.lifelineMagic.count + 1
        let secretMatches = bytes.withUnsafeBytes {
            secret.matches(UnsafeRawBufferPointer(rebasing: $0[secretStart..<secretStart + LifelineSecret.size]))
        }
        guard secretMatches else { return nil }
        let rankOffset = secretStart + LifelineSecret.size
        return bytes.withUnsafeBytes {
            LifelineHello(
                rank: Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: rankOffset, as: UInt32.self))),
                processID: Int32(littleEndian: $0.loadUnaligned(fromByteOffset: rankOffset + 4, as: Int32.self)))
        }
    }
}

/// One message on an open lifeline.
struct LifelineRecord: Equatable {
    static let size = 5

    enum Kind: UInt8 {
        /// Either side: still here.
        case heartbeat = 1
        /// Supervisor: rank 0 asked it to stop, and it is ending normally.
        case stopping
        /// Supervisor: the output records that follow come from its worker of this rank.
        case speaker
        /// Supervisor: it sent rank 0 news over MPI that rank 0 is not waiting for (a worker ready
        /// or ended); rank 0's scheduler, perhaps asleep, should look.
        case nudge
        /// Supervisor: bytes a task wrote follow. The value's low 31 bits are their count, its top
        /// bit the stream (clear: standard output; set: standard error).
        case output
    }

    var kind: Kind
    var value: Int32 = 0

    /// The five bytes, as a tuple so that they can be built on the stack.
    var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8) {
        let value = UInt32(bitPattern: value)
        return (
            kind.rawValue, UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)
        )
    }

    /// Reads the record at `offset`; nil for an unknown kind.
    static func read(_ bytes: [UInt8], at offset: Int) -> LifelineRecord? {
        guard let kind = Kind(rawValue: bytes[offset]) else { return nil }
        let value =
            UInt32(bytes[offset + 1]) | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]) << 16
            | UInt32(bytes[offset + 4]) << 24
        return LifelineRecord(kind: kind, value: Int32(bitPattern: value))
    }
}
