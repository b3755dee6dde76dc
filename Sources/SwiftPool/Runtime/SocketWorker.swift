#if canImport(Glibc)
    import Glibc
#endif

/// A worker that rank 0 starts with `posix_spawn` rather than MPI (the plain start's
/// replacements): it never initializes MPI. Its welcome, with rank 0's build fingerprint, comes on
/// an inherited pipe named by `SWIFTPOOL_WELCOME_FD`; it opens a data connection and a lifeline to
/// rank 0 and serves frames over the first.
///
/// Spawning replacements through MPI instead (`MPI_Comm_spawn`) stalls for good in Open MPI 4.1
/// when another spawned process dies while the spawn runs: measured with a small C program,
/// one run in three within forty spawns.
enum SocketWorker {
    static let descriptorVariable = "SWIFTPOOL_WELCOME_FD"

    /// The pipe to read the welcome from, when this process was started as a socket worker.
    static var welcomeDescriptor: Int32? {
        getenv(descriptorVariable).flatMap { Int32(String(cString: $0)) }
    }

    /// What rank 0 writes on the pipe: the welcome, then its build fingerprint.
    static func message(_ welcome: Welcome) -> [UInt8] {
        var bytes = welcome.encoded()
        withUnsafeBytes(of: BuildFingerprint.ofExecutable().littleEndian) { bytes += $0 }
        return bytes
    }

    /// The worker's whole life, on the thread that runs its tasks; ends the process.
    static func run(welcomeDescriptor: Int32) -> Never {
        let host = currentHostName()
        var bytes = [UInt8](repeating: 0, count: Welcome.size + 8)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes {
                read(welcomeDescriptor, $0.baseAddress! + filled, $0.count - filled)
            }
            guard count > 0 else { break }
            filled += count
        }
        close(welcomeDescriptor)
        guard filled == bytes.count, let welcome = try? Welcome.decode(Array(bytes.prefix(Welcome.size))) else {
            printToStandardError("SwiftPool worker (\(host)): no welcome from rank 0 on its pipe; exiting")
            LifelineLink.exitNow(code: 1)
        }
        let fingerprint = bytes.withUnsafeBytes {
            UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: Welcome.size, as: UInt64.self))
        }
        guard fingerprint == BuildFingerprint.ofExecutable() else {
            printToStandardError(
                "SwiftPool worker rank \(welcome.rank) (\(host)): runs a different build than rank 0 "
                    + "(\(BuildFingerprint.executablePath) changed since the program started); exiting")
            LifelineLink.exitNow(code: 1)
        }
        PoolProcess.setRank(welcome.rank)
        let socket: FrameSocket
        do {
            let descriptor = try TCPSocket.connect(
                to: welcome.endpoint, timeoutNanos: welcome.settings.connectNanos / 2)
            let hello = LifelineHello(rank: welcome.rank, processID: getpid(), purpose: .data).encoded(
                secret: welcome.secret)
            socket = FrameSocket(descriptor: descriptor)
            socket.setBlocking(true)
            guard hello.withUnsafeBytes({ TCPSocket.send($0, on: descriptor) }) else {
                throw SystemCallError(call: "send", code: errno)
            }
        } catch {
            printToStandardError(
                "SwiftPool worker rank \(welcome.rank) (\(host)): cannot connect to rank 0 at \(welcome.endpoint): "
                    + "\(error); exiting")
            LifelineLink.exitNow(code: 1)
        }
        let lifeline = LifelineLink.open(welcome, host: host)
        var loop = WorkerLoop(
            connection: SocketWorkerConnection(socket: socket), runner: TaskRunner(rank: welcome.rank, host: host))
        do {
            _ = try loop.run()
        } catch {
            // Rank 0 closed the connection or it broke: rank 0 is gone or gave this worker up.
            LifelineLink.exitNow(code: 1)
        }
        lifeline.announceStop()
        LifelineLink.exitNow(code: 0)
    }
}
