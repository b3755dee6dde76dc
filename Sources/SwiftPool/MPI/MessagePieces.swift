internal import CMPI

#if canImport(Glibc)
    import Glibc
#endif

/// MPI counts are 32-bit: one message carries at most 2 GiB. Bigger frames and attachments travel
/// as several messages of at most ``bytes`` each, sent in order with one tag, which MPI keeps in
/// order (MPI 4.0 §3.5).
enum MessagePieces {
    /// The largest message SwiftPool sends (`SWIFTPOOL_MAX_MESSAGE_BYTES`, 1 GiB). The receiver
    /// learns the size from the sender, so the ranks need not agree on the setting.
    static var bytes: Int { PoolSettings.maxMessageBytes }

    /// The byte ranges of the pieces of `count` bytes, at most `pieceBytes` each; one empty range
    /// for nothing, so an empty message still goes.
    static func ranges(count: Int, pieceBytes: Int) -> [Range<Int>] {
        guard count > 0 else { return [0..<0] }
        return stride(from: 0, to: count, by: pieceBytes).map { $0..<min($0 + pieceBytes, count) }
    }
}

extension Communicator {
    /// `MPI_Isend`s of `bytes` in pieces; each send keeps `owner` alive.
    func startSendInPieces(
        _ bytes: UnsafeRawBufferPointer, keepingAlive owner: AnyObject, to destination: Int, tag: Int32,
        pieceBytes: Int
    ) throws(MPIError) -> [PendingSend] {
        var pending: [PendingSend] = []
        for range in MessagePieces.ranges(count: bytes.count, pieceBytes: pieceBytes) {
            let send = try startSend(
                UnsafeRawBufferPointer(rebasing: bytes[range]), keepingAlive: owner, to: destination, tag: tag)
            if try !send.isComplete() { pending.append(send) }
        }
        return pending
    }

    /// `MPI_Send`s of `bytes` in pieces.
    func sendInPieces(_ bytes: UnsafeRawBufferPointer, to destination: Int, tag: Int32, pieceBytes: Int)
        throws(MPIError)
    {
        for range in MessagePieces.ranges(count: bytes.count, pieceBytes: pieceBytes) {
            try send(UnsafeRawBufferPointer(rebasing: bytes[range]), to: destination, tag: tag)
        }
    }

    /// Receives `destination.count` bytes sent in pieces, each straight into its place; gives up
    /// with ``PeerGone`` when `senderIsGone`.
    func receiveInPieces(
        into destination: UnsafeMutableRawBufferPointer, from source: Int, tag: Int32, pieceBytes: Int,
        senderIsGone: () -> Bool
    ) throws {
        for range in MessagePieces.ranges(count: destination.count, pieceBytes: pieceBytes) {
            try receive(
                into: UnsafeMutableRawBufferPointer(rebasing: destination[range]), from: source, tag: tag,
                senderIsGone: senderIsGone)
        }
    }

    /// `MPI_Irecv`s for `destination.count` bytes sent in pieces; `owner` is kept until they end.
    func startReceiveInPieces(
        into destination: UnsafeMutableRawBufferPointer, keepingAlive owner: AnyObject, from source: Int,
        tag: Int32, pieceBytes: Int
    ) throws(MPIError) -> [PendingReceive] {
        var pending: [PendingReceive] = []
        for range in MessagePieces.ranges(count: destination.count, pieceBytes: pieceBytes) {
            var request: MPI_Request? = nil
            try mpiCall("MPI_Irecv") {
                MPI_Irecv(
                    destination.baseAddress.map { $0 + range.lowerBound }, Int32(range.count), cmpi_byte(),
                    Int32(source), tag, raw, &request)
            }
            pending.append(PendingReceive(request: request!, owner: owner, expectedBytes: range.count))
        }
        return pending
    }
}

/// An `MPI_Irecv` in flight, keeping the memory it receives into alive.
final class PendingReceive {
    private var request: MPI_Request?
    private let owner: AnyObject
    private let expectedBytes: Int

    init(request: MPI_Request, owner: AnyObject, expectedBytes: Int) {
        self.request = request
        self.owner = owner
        self.expectedBytes = expectedBytes
    }

    /// `MPI_Test`: whether the piece has arrived, checking it has the size announced.
    func isComplete() throws(MPIError) -> Bool {
        guard request != nil else { return true }
        var flag: Int32 = 0
        var status = MPI_Status()
        try mpiCall("MPI_Test") { MPI_Test(&request, &flag, &status) }
        guard flag != 0 else { return false }
        request = nil
        var received: Int32 = 0
        try mpiCall("MPI_Get_count") { MPI_Get_count(&status, cmpi_byte(), &received) }
        guard Int(received) == expectedBytes else {
            throw MPIError(
                routine: "MPI_Irecv", code: -1, text: "expected a piece of \(expectedBytes) bytes, received \(received)"
            )
        }
        return true
    }

    /// `MPI_Cancel` for a piece whose sender is gone; false if MPI could not take it back, in which
    /// case the caller must keep this object (and its memory) for good.
    func cancel() -> Bool {
        guard request != nil else { return true }
        var flag: Int32 = 0
        guard MPI_Cancel(&request) == MPI_SUCCESS, MPI_Test(&request, &flag, cmpi_status_ignore()) == MPI_SUCCESS
        else { return false }
        if flag != 0 { request = nil }
        return flag != 0
    }
}
