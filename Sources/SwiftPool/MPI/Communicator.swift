internal import CMPI

/// An MPI communicator handle (MPI 4.0 §7).
///
/// `@unchecked Sendable` because a handle is an opaque pointer that only the MPI-owning thread
/// ever passes to MPI; other threads may hold it but never call MPI with it.
struct Communicator: @unchecked Sendable {
    let raw: MPI_Comm

    /// `MPI_COMM_WORLD`.
    static var world: Communicator { Communicator(raw: cmpi_comm_world()) }

    /// `MPI_Comm_rank`.
    func rank() throws(MPIError) -> Int {
        var value: Int32 = 0
        try mpiCall("MPI_Comm_rank") { MPI_Comm_rank(raw, &value) }
        return Int(value)
    }

    /// `MPI_Comm_size`.
    func size() throws(MPIError) -> Int {
        var value: Int32 = 0
        try mpiCall("MPI_Comm_size") { MPI_Comm_size(raw, &value) }
        return Int(value)
    }

    /// `MPI_Comm_dup` followed by `MPI_Comm_set_errhandler(MPI_ERRORS_RETURN)`: a private
    /// communicator whose traffic cannot match the program's own messages, and whose failures
    /// come back as return codes instead of aborting the job.
    func duplicate() throws(MPIError) -> Communicator {
        var copy: MPI_Comm? = nil
        try mpiCall("MPI_Comm_dup") { MPI_Comm_dup(raw, &copy) }
        let result = Communicator(raw: copy!)
        try mpiCall("MPI_Comm_set_errhandler") { MPI_Comm_set_errhandler(result.raw, cmpi_errors_return()) }
        return result
    }

    /// `MPI_Comm_free`.
    func free() throws(MPIError) {
        var handle: MPI_Comm? = raw
        try mpiCall("MPI_Comm_free") { MPI_Comm_free(&handle) }
    }

    /// `MPI_Isend` of `bytes`. The returned send keeps `owner` (whose storage `bytes` points
    /// into) alive until MPI is done with it.
    func startSend(
        _ bytes: UnsafeRawBufferPointer, keepingAlive owner: AnyObject, to destination: Int, tag: Int32
    ) throws(MPIError) -> PendingSend {
        let count = try messageCount(bytes.count, routine: "MPI_Isend")
        var request: MPI_Request? = nil
        try mpiCall("MPI_Isend") {
            MPI_Isend(bytes.baseAddress, count, cmpi_byte(), Int32(destination), tag, raw, &request)
        }
        return PendingSend(request: request!, owner: owner)
    }

    /// `MPI_Send` of `bytes`: returns once the memory may be reused.
    func send(_ bytes: UnsafeRawBufferPointer, to destination: Int, tag: Int32) throws(MPIError) {
        let count = try messageCount(bytes.count, routine: "MPI_Send")
        try mpiCall("MPI_Send") { MPI_Send(bytes.baseAddress, count, cmpi_byte(), Int32(destination), tag, raw) }
    }

    /// `MPI_Send` of a whole buffer.
    func send(_ buffer: WireBuffer, to destination: Int, tag: Int32) throws(MPIError) {
        try withExtendedLifetime(buffer) { () throws(MPIError) in try send(buffer.bytes, to: destination, tag: tag) }
    }

    private func messageCount(_ bytes: Int, routine: StaticString) throws(MPIError) -> Int32 {
        guard bytes <= Int(Int32.max) else {
            throw MPIError(routine: "\(routine)", code: -1, text: "message of \(bytes) bytes exceeds MPI's count limit")
        }
        return Int32(bytes)
    }

    /// `MPI_Improbe` for a message with `tag` then, when one is there, `MPI_Get_count` and
    /// `MPI_Mrecv` into a buffer of exactly its size. Returns `nil` at once when nothing has arrived.
    func receiveIfArrived(from source: Int? = nil, tag: Int32) throws(MPIError) -> ReceivedMessage? {
        var flag: Int32 = 0
        var message: MPI_Message? = nil
        var status = MPI_Status()
        let sourceRank = source.map(Int32.init) ?? MPI_ANY_SOURCE
        try mpiCall("MPI_Improbe") { MPI_Improbe(sourceRank, tag, raw, &flag, &message, &status) }
        guard flag != 0 else { return nil }
        var count: Int32 = 0
        try mpiCall("MPI_Get_count") { MPI_Get_count(&status, cmpi_byte(), &count) }
        let buffer = WireBuffer(uninitializedCount: Int(count))
        try mpiCall("MPI_Mrecv") { MPI_Mrecv(buffer.base, count, cmpi_byte(), &message, cmpi_status_ignore()) }
        return ReceivedMessage(source: Int(status.MPI_SOURCE), bytes: buffer)
    }

    /// `MPI_Recv` of the next message from `source` with `tag` straight into `destination`, which
    /// must be exactly the message's size.
    func receive(into destination: UnsafeMutableRawBufferPointer, from source: Int, tag: Int32) throws(MPIError) {
        let count = try messageCount(destination.count, routine: "MPI_Recv")
        var status = MPI_Status()
        try mpiCall("MPI_Recv") {
            MPI_Recv(destination.baseAddress, count, cmpi_byte(), Int32(source), tag, raw, &status)
        }
        try checkReceived(&status, expected: count)
    }

    /// Receives the next message from `source` with `tag` into `destination`, which must be
    /// exactly its size, like ``receive(into:from:tag:)``, but checks `senderIsGone` while it
    /// waits: MPI never says a peer died, and a blocking receive from a dead one never returns.
    /// Throws ``PeerGone`` when the sender is gone first.
    func receive(
        into destination: UnsafeMutableRawBufferPointer, from source: Int, tag: Int32, senderIsGone: () -> Bool
    ) throws {
        let count = try messageCount(destination.count, routine: "MPI_Irecv")
        var request: MPI_Request? = nil
        try mpiCall("MPI_Irecv") {
            MPI_Irecv(destination.baseAddress, count, cmpi_byte(), Int32(source), tag, raw, &request)
        }
        var status = MPI_Status()
        var backoff = IdleBackoff(spinWindowNanos: 50_000, firstSleepNanos: 10_000, maxSleepNanos: 1_000_000)
        while true {
            var done: Int32 = 0
            try mpiCall("MPI_Test") { MPI_Test(&request, &done, &status) }
            if done != 0 { break }
            if senderIsGone() {
                try mpiCall("MPI_Cancel") { MPI_Cancel(&request) }
                try mpiCall("MPI_Wait") { MPI_Wait(&request, cmpi_status_ignore()) }
                throw PeerGone()
            }
            backoff.idle(sleep: sleepNanos)
        }
        try checkReceived(&status, expected: count)
    }

    private func checkReceived(_ status: inout MPI_Status, expected count: Int32) throws(MPIError) {
        var received: Int32 = 0
        try mpiCall("MPI_Get_count") { MPI_Get_count(&status, cmpi_byte(), &received) }
        guard received == count else {
            throw MPIError(
                routine: "MPI_Recv", code: -1, text: "expected a message of \(count) bytes, received \(received)")
        }
    }

    /// The size of the next message from `source` with `tag`, waiting for it without taking it
    /// (`MPI_Iprobe`, `MPI_Get_count`); gives up with ``PeerGone`` when `senderIsGone`.
    func sizeOfNext(from source: Int, tag: Int32, senderIsGone: () -> Bool) throws -> Int {
        var backoff = IdleBackoff(spinWindowNanos: 50_000, firstSleepNanos: 10_000, maxSleepNanos: 1_000_000)
        var status = MPI_Status()
        while true {
            var flag: Int32 = 0
            try mpiCall("MPI_Iprobe") { MPI_Iprobe(Int32(source), tag, raw, &flag, &status) }
            if flag != 0 { break }
            if senderIsGone() { throw PeerGone() }
            backoff.idle(sleep: sleepNanos)
        }
        var count: Int32 = 0
        try mpiCall("MPI_Get_count") { MPI_Get_count(&status, cmpi_byte(), &count) }
        return Int(count)
    }

    /// Takes the next message from `source` with `tag` and drops it; gives up when `senderIsGone`.
    func discardNext(from source: Int, tag: Int32, senderIsGone: () -> Bool) throws {
        var backoff = IdleBackoff(spinWindowNanos: 50_000, firstSleepNanos: 10_000, maxSleepNanos: 1_000_000)
        while true {
            if (try receiveIfArrived(from: source, tag: tag)) != nil { return }
            if senderIsGone() { throw PeerGone() }
            backoff.idle(sleep: sleepNanos)
        }
    }

    /// Drops the next message from `source` with `tag` if it has arrived; says whether it had.
    func discardIfArrived(from source: Int, tag: Int32) throws(MPIError) -> Bool {
        try receiveIfArrived(from: source, tag: tag) != nil
    }

    /// `MPI_Gather` of one fixed-size byte record from every rank to `root`, concatenated in rank
    /// order on the root; other ranks get an empty array.
    func gather(_ record: [UInt8], root: Int) throws(MPIError) -> [UInt8] {
        let ranks = try size()
        let isRoot = try rank() == root
        var all = [UInt8](repeating: 0, count: isRoot ? record.count * ranks : 0)
        try mpiCall("MPI_Gather") {
            record.withUnsafeBytes { send in
                all.withUnsafeMutableBytes { receive in
                    MPI_Gather(
                        send.baseAddress, Int32(record.count), cmpi_byte(),
                        receive.baseAddress, Int32(record.count), cmpi_byte(), Int32(root), raw)
                }
            }
        }
        return all
    }

    /// `MPI_Bcast` of a fixed-size byte record from `root`.
    func broadcast(_ record: inout [UInt8], root: Int) throws(MPIError) {
        let count = Int32(record.count)
        try mpiCall("MPI_Bcast") {
            record.withUnsafeMutableBytes { MPI_Bcast($0.baseAddress, count, cmpi_byte(), Int32(root), raw) }
        }
    }
}

/// The process a receive waited for is gone; what it was sending will never arrive.
struct PeerGone: Error, CustomStringConvertible {
    var description: String { "the sending process is gone" }
}

/// A message taken off a communicator: who sent it and its bytes.
struct ReceivedMessage: Sendable {
    var source: Int
    var bytes: WireBuffer
}
