#if canImport(Glibc)
    import Glibc
#endif

/// One process of the pool as rank 0 learns of it at start-up: which build it runs, its process
/// id, its host, its host's network addresses (for the lifeline), and how many workers it
/// supervises.
struct Peer: Sendable {
    var fingerprint: UInt64
    var processID: Int32
    var host: String
    /// IPv4 addresses of the host's interfaces, loopback excluded, in network byte order.
    var addresses: [UInt32]
    /// Worker processes it supervises (`SWIFTPOOL_WORKERS_PER_RANK`); 0 when its setting is bad.
    var workerCount: Int

    private static let hostBytes = 64
    private static let addressCount = 4
    private static let recordBytes = 8 + 4 + hostBytes + 4 * addressCount + 4

    /// Gathers every rank's record on rank 0 and checks that all run rank 0's build and have a
    /// good worker count. Every rank learns the verdict; only rank 0 gets the records.
    static func survey(_ communicator: Communicator, rank: Int, host: String) -> Result<[Peer], PoolError> {
        let workerCount: Int
        do {
            workerCount = try LaunchPlan.workersPerRank()
        } catch {
            if rank != 0 { printToStandardError("SwiftPool: rank \(rank) on \(host): \(error.message)") }
            workerCount = 0
        }
        var record = withUnsafeBytes(of: BuildFingerprint.ofExecutable().littleEndian) { Array($0) }
        record += withUnsafeBytes(of: getpid().littleEndian) { Array($0) }
        let hostUTF8 = Array(host.utf8.prefix(hostBytes))
        record += hostUTF8 + Array(repeating: 0, count: hostBytes - hostUTF8.count)
        let addresses = IPv4Endpoint.hostAddresses(limit: addressCount)
        for index in 0..<addressCount {
            withUnsafeBytes(of: index < addresses.count ? addresses[index] : 0) { record += $0 }
        }
        withUnsafeBytes(of: UInt32(workerCount).littleEndian) { record += $0 }
        do {
            let gathered = try communicator.gather(record, root: 0)
            let peers = stride(from: 0, to: gathered.count, by: recordBytes).map {
                Peer(gathered[$0..<$0 + recordBytes])
            }
            let firstDifferent = peers.firstIndex { $0.fingerprint != peers[0].fingerprint } ?? 0
            let firstBadCount = peers.indices.dropFirst().first { peers[$0].workerCount == 0 } ?? 0
            var verdict = withUnsafeBytes(of: UInt64(firstDifferent).littleEndian) { Array($0) }
            verdict += withUnsafeBytes(of: UInt64(firstBadCount).littleEndian) { Array($0) }
            try communicator.broadcast(&verdict, root: 0)
            let different = Int(verdict.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            let badCount = Int(verdict.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) })
            if different == 0 && badCount != 0 {
                let error =
                    rank == 0
                    ? PoolError(
                        .invalidArgument,
                        "SWIFTPOOL_WORKERS_PER_RANK on rank \(badCount) (host \(peers[badCount].host)) is not a number "
                            + "from 1 to 4096 or cores; set it the same on every rank")
                    : PoolError(.invalidArgument, "SWIFTPOOL_WORKERS_PER_RANK is bad on rank \(badCount)")
                return .failure(error)
            }
            guard different != 0 else { return .success(peers) }
            if rank == 0 {
                return .failure(
                    PoolError(
                        .differentBuilds,
                        "rank \(different) on host \(peers[different].host) runs a different build of the program "
                            + "than rank 0 on host \(host) (\(BuildFingerprint.executablePath)); workers find functions "
                            + "by type name, so every rank must run the same executable: copy the one binary to every "
                            + "host and start it again"))
            }
            if different == rank {
                printToStandardError("SwiftPool: rank \(rank) on \(host) runs a different build than rank 0; exiting")
            }
            return .failure(PoolError(.differentBuilds, "rank \(different) runs a different build than rank 0"))
        } catch {
            return .failure(PoolError(.mpiFailure, "the start-up check of every rank failed: \(error)"))
        }
    }

    private init(_ record: ArraySlice<UInt8>) {
        let bytes = Array(record)
        fingerprint = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        processID = bytes.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: Int32.self)) }
        host = String(decoding: bytes[12..<12 + Self.hostBytes].prefix { $0 != 0 }, as: UTF8.self)
        addresses = (0..<Self.addressCount).map { index in
            bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12 + Self.hostBytes + 4 * index, as: UInt32.self) }
        }.filter { $0 != 0 }
        workerCount = Int(
            bytes.withUnsafeBytes {
                UInt32(
                    littleEndian: $0.loadUnaligned(
                        fromByteOffset: 12 + Self.hostBytes + 4 * Self.addressCount, as: UInt32.self))
            })
    }

    /// Waits until the given processes (on this host) have exited, or the timeout passes.
    static func waitUntilGone(_ peers: some Sequence<Peer>, timeoutNanos: UInt64) {
        let deadline = monotonicNanos() &+ timeoutNanos
        for peer in peers {
            while kill(peer.processID, 0) == 0 && monotonicNanos() < deadline { sleepNanos(1_000_000) }
        }
    }
}
