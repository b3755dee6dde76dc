#if canImport(Glibc)
    import Glibc
#endif

/// What rank 0 tells each supervisor right after start-up, over MPI: its rank, the ranks of the
/// workers it is to start, where to connect its lifeline, the job's secret, the heartbeat settings,
/// and whether it is on rank 0's host (its workers then share their memory with rank 0 directly).
struct Welcome: Equatable {
    var rank: Int
    var firstWorkerRank: Int
    var workerCount: Int
    var endpoint: IPv4Endpoint
    var secret: LifelineSecret
    var settings: LifelineSettings
    var onRankZerosHost = false

    static let size = 4 + 4 + 4 + 4 + 2 + LifelineSecret.size + 3 * 8 + 1

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size)
        for number in [rank, firstWorkerRank, workerCount] {
            withUnsafeBytes(of: UInt32(number).littleEndian) { bytes += $0 }
        }
        withUnsafeBytes(of: endpoint.address) { bytes += $0 }
        withUnsafeBytes(of: endpoint.port.littleEndian) { bytes += $0 }
        bytes += secret.bytes
        for nanos in [settings.heartbeatNanos, settings.silenceNanos, settings.connectNanos] {
            withUnsafeBytes(of: nanos.littleEndian) { bytes += $0 }
        }
        bytes.append(onRankZerosHost ? 1 : 0)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> Welcome {
        guard bytes.count == size else {
            throw PoolError(.protocolViolation, "a welcome of \(bytes.count) bytes, not \(size)")
        }
        return bytes.withUnsafeBytes { raw in
            func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            let secretStart = 18
            let settingsStart = secretStart + LifelineSecret.size
            return Welcome(
                rank: Int(load(UInt32.self, at: 0)), firstWorkerRank: Int(load(UInt32.self, at: 4)),
                workerCount: Int(load(UInt32.self, at: 8)),
                endpoint: IPv4Endpoint(
                    address: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self), port: load(UInt16.self, at: 16)),
                secret: LifelineSecret(bytes: Array(raw[secretStart..<settingsStart])),
                settings: LifelineSettings(
                    heartbeatNanos: load(UInt64.self, at: settingsStart),
                    silenceNanos: load(UInt64.self, at: settingsStart + 8),
                    connectNanos: load(UInt64.self, at: settingsStart + 16)),
                onRankZerosHost: raw[settingsStart + 24] == 1)
        }
    }

    /// Sends the welcome to `destination`.
    func send(on communicator: Communicator, to destination: Int) throws(MPIError) {
        let buffer = WireBuffer(capacity: Self.size)
        encoded().withUnsafeBytes { buffer.append($0) }
        try communicator.send(buffer, to: destination, tag: MessageTag.welcome)
    }

    /// Waits for rank 0's welcome; gives up when the process that launched this one is gone (so
    /// rank 0 is too) or after `patienceNanos`: a worker nobody welcomes must not wait forever.
    static func receive(on communicator: Communicator, patienceNanos: UInt64 = 60_000_000_000) throws -> Welcome {
        let buffer = WireBuffer(uninitializedCount: size)
        let launcher = getppid()
        let deadline = monotonicNanos() &+ patienceNanos
        try communicator.receive(
            into: UnsafeMutableRawBufferPointer(start: buffer.base, count: size), from: 0, tag: MessageTag.welcome,
            senderIsGone: { getppid() != launcher || monotonicNanos() >= deadline })
        return try decode(Array(buffer.bytes))
    }
}
