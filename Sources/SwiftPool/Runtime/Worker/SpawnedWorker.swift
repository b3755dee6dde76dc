import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// A worker process: the only kind of process that runs tasks. Its parent (rank 0 in the plain
/// start, or the supervisor rank of a launcher's job) started it with ``WorkerRecruiter``; it never
/// initializes MPI, so nothing it does can end an MPI process or the launcher's job.
///
/// Its welcome (its rank, its parent and rank 0's build fingerprint) comes on an inherited pipe
/// named by `SWIFTPOOL_WELCOME_FD`; its frames go through memory it shares with its parent
/// (descriptor 4); its standard output and error are pipes its parent reads. It dies with its
/// parent, and its parent learns from `waitpid` how it ended: it reports nothing itself.
enum SpawnedWorker {
    static let descriptorVariable = PoolSettings.welcomeDescriptorVariable
    /// The descriptor the welcome arrives on.
    static let welcomeDescriptorNumber: Int32 = 3

    /// The pipe to read the welcome from, when this process was started as a worker.
    static var welcomeDescriptor: Int32? {
        PoolSettings.welcomeDescriptor.flatMap { Int32($0) }
    }

    private static let messageSize = 4 + 4 + 8

    /// What the parent writes on the pipe: the worker's rank, the parent's process id, and the
    /// build fingerprint.
    static func message(rank: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: rank).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: getpid().littleEndian) { bytes += $0 }
        withUnsafeBytes(of: BuildFingerprint.ofExecutable().littleEndian) { bytes += $0 }
        return bytes
    }

    /// The worker's whole life, on the thread that runs its tasks; ends the process.
    static func run(welcomeDescriptor: Int32) -> Never {
        // Ctrl-C reaches the whole process group; rank 0 decides what it means and ends us.
        signal(SIGINT, SIG_IGN)
        let host = currentHostName()
        var bytes = [UInt8](repeating: 0, count: messageSize)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes {
                read(welcomeDescriptor, $0.baseAddress! + filled, $0.count - filled)
            }
            guard count > 0 else { break }
            filled += count
        }
        close(welcomeDescriptor)
        guard filled == bytes.count else {
            printToStandardError("SwiftPool worker (\(host)): no welcome from its parent on its pipe; exiting")
            exitNow(code: 1)
        }
        let (rank, parent, fingerprint) = bytes.withUnsafeBytes {
            (
                Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))),
                Int32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: Int32.self)),
                UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
        // No worker outlives its parent: the kernel ends it when the parent's thread that started
        // it ends (a parent gone before this line is caught by the check after it).
        clinux_set_parent_death_signal(SIGKILL)
        guard getppid() == parent else { exitNow(code: 1) }
        guard fingerprint == BuildFingerprint.ofExecutable() else {
            printToStandardError(
                "SwiftPool worker rank \(rank) (\(host)): runs a different build than rank 0 "
                    + "(\(BuildFingerprint.executablePath) changed since the program started); exiting")
            exitNow(code: 1)
        }
        PoolProcess.setRank(rank)
        let stream: FrameStream
        do {
            stream = .workerEnd(of: try SharedChannelMemory.inherited())
        } catch {
            printToStandardError(
                "SwiftPool worker rank \(rank) (\(host)): cannot map the memory its parent shares with it: "
                    + "\(error); exiting")
            exitNow(code: 1)
        }
        lineBufferStandardOutput()
        let replies = WorkerReplies(stream: stream)
        WorkerReplies.current.withLock { $0 = replies }
        replies.send(FrameEncoder.ready(rank: rank, processID: getpid()))
        var loop = WorkerLoop(
            connection: SharedMemoryWorkerConnection(stream: stream, replies: replies),
            runner: TaskRunner(rank: rank, host: host))
        do {
            _ = try loop.run()
        } catch {
            printToStandardError("SwiftPool worker rank \(rank) (\(host)): \(error); exiting")
            exitNow(code: 1)
        }
        exitNow(code: 0)
    }

    /// A pipe is fully buffered by stdio; a task's `print` should reach the parent line by line,
    /// before the task's result does. (Through the symbol: Swift 6 refuses the `stdout` global as
    /// shared mutable state.)
    private static func lineBufferStandardOutput() {
        if let symbol = dlsym(nil, "stdout"),
            let stream = symbol.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
        {
            setvbuf(stream, nil, _IOLBF, 0)
        }
    }

    /// Ends the process at once, with what it printed flushed: nothing of the pool is worth
    /// finishing, and the program's exit handlers belong to rank 0.
    static func exitNow(code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }
}
