#if canImport(Glibc)
    import Glibc
#endif

/// A worker that rank 0 started itself with `posix_spawn` (the plain start): it never initializes
/// MPI. Its welcome, with rank 0's build fingerprint, comes on an inherited pipe named by
/// `SWIFTPOOL_WELCOME_FD`; its frames go through memory it shares with rank 0 (descriptor 4); it
/// opens a lifeline to rank 0 like any worker.
///
/// Why not MPI: Open MPI 4.1's shared-memory transport does not reach processes started with
/// `MPI_Comm_spawn`, so they talk to their parent over TCP at twice mpirun's latency, and a
/// spawn stalls for good when another spawned process dies meanwhile (one run in three within
/// forty spawns, measured with a small C program).
enum SpawnedWorker {
    static let descriptorVariable = PoolSettings.welcomeDescriptorVariable

    /// The pipe to read the welcome from, when this process was started as a socket worker.
    static var welcomeDescriptor: Int32? {
        PoolSettings.welcomeDescriptor.flatMap { Int32($0) }
    }

    /// What rank 0 writes on the pipe: the welcome, then its build fingerprint.
    static func message(_ welcome: Welcome) -> [UInt8] {
        var bytes = welcome.encoded()
        withUnsafeBytes(of: BuildFingerprint.ofExecutable().littleEndian) { bytes += $0 }
        return bytes
    }

    /// The worker's whole life, on the thread that runs its tasks; ends the process.
    static func run(welcomeDescriptor: Int32) -> Never {
        // Ctrl-C reaches the whole process group; rank 0 decides what it means and ends us.
        signal(SIGINT, SIG_IGN)
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
        let stream: FrameStream
        do {
            stream = .workerEnd(of: try SharedChannelMemory.inherited())
        } catch {
            printToStandardError(
                "SwiftPool worker rank \(welcome.rank) (\(host)): cannot map the memory rank 0 shares with it: "
                    + "\(error); exiting")
            LifelineLink.exitNow(code: 1)
        }
        let lifeline = LifelineLink.open(welcome, host: host)
        var loop = WorkerLoop(
            connection: SharedMemoryWorkerConnection(stream: stream), runner: TaskRunner(rank: welcome.rank, host: host)
        )
        do {
            _ = try loop.run()
        } catch {
            printToStandardError("SwiftPool worker rank \(welcome.rank) (\(host)): \(error); exiting")
            exit(1)  // the exit handler tells rank 0, which runs this worker's tasks elsewhere
        }
        lifeline.announceStop()
        LifelineLink.exitNow(code: 0)
    }
}
