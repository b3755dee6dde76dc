import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Starts worker processes: copies of this executable with its arguments, started with
/// `posix_spawn` as ``SpawnedWorker``s (no MPI). Rank 0 uses it in the plain start and every
/// supervisor uses it under a launcher, so a worker is started, fed and watched the same way
/// everywhere:
/// - its frames go through memory it shares with its parent (``SharedChannelMemory``);
/// - its standard output and error are pipes its parent reads, so what it wrote before it died is
///   still there to read after;
/// - a thread of the parent waits for it with `waitpid` and reports exactly how it ended;
/// - the parent holds it to the pools' `workerMemoryLimit` (``MemoryWatch``);
/// - it holds only the descriptors it is handed: everything SwiftPool opens is close-on-exec from
///   the start, and the spawn closes every other descriptor above 4.
struct WorkerRecruiter: Sendable {
    var command: String
    var arguments: [String]
    /// Holds every worker this recruiter starts to the memory limit set on it.
    var memoryWatch = MemoryWatch()

    /// The parent's side of a worker just started.
    struct Started {
        var processID: pid_t
        /// The parent's end of the frames.
        var stream: FrameStream
        /// The read ends of the worker's standard output and error (non-blocking).
        var output: Int32
        var errors: Int32
        /// The memory shared with the worker (with its name, when rank 0 is to open it).
        var memory: SharedChannelMemory
    }

    /// This executable with this program's arguments.
    static func forThisProgram() -> WorkerRecruiter {
        WorkerRecruiter(command: BuildFingerprint.executablePath, arguments: Array(CommandLine.arguments.dropFirst()))
    }

    /// Starts the worker of pool rank `rank`. `ended` is called once, from a thread of its own,
    /// with the worker's process id and how it ended. With `sharingWithRankZero`, the memory keeps
    /// its name for rank 0 to open (a supervisor on rank 0's host).
    func start(
        rank: Int, sharingWithRankZero: Bool = false, ended: @escaping @Sendable (pid_t, WorkerEnd) -> Void
    ) throws -> Started {
        let memory = try SharedChannelMemory.create(keepingName: sharingWithRankZero)
        defer { memory.closeDescriptor() }
        let welcome = try Self.pipe()
        defer { close(welcome.write) }
        let output = try Self.pipe()
        let errors: (read: Int32, write: Int32)
        do { errors = try Self.pipe() } catch {
            close(output.read)
            close(output.write)
            throw error
        }
        defer {
            close(output.write)
            close(errors.write)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Standard input belongs to rank 0, as under mpirun.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.write, 2)
        posix_spawn_file_actions_adddup2(&actions, welcome.read, SpawnedWorker.welcomeDescriptorNumber)
        posix_spawn_file_actions_adddup2(&actions, memory.descriptor, SharedChannelMemory.inheritedDescriptor)
        // Descriptors the program opened without close-on-exec stay with the program.
        posix_spawn_file_actions_addclosefrom_np(&actions, SharedChannelMemory.inheritedDescriptor + 1)
        // The parent's MPI thread blocks SIGPIPE for itself; the worker starts with nothing blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)

        var environment: [String] = []
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environ
        while let variable = entry.pointee {
            let text = String(cString: variable)
            if !text.hasPrefix("\(SpawnedWorker.descriptorVariable)=") { environment.append(text) }
            entry += 1
        }
        environment.append("\(SpawnedWorker.descriptorVariable)=\(SpawnedWorker.welcomeDescriptorNumber)")
        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        var process: pid_t = 0
        let spawned = posix_spawn(&process, command, &actions, &attributes, argv, envp)
        close(welcome.read)
        guard spawned == 0 else {
            close(output.read)
            close(errors.read)
            memory.unlinkName()
            throw SystemCallError(call: "posix_spawn", code: spawned)
        }
        let child = process
        let memoryWatch = memoryWatch
        memoryWatch.watch(child)
        DedicatedThread.start(stackBytes: 64 * 1024) {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
            ended(child, memoryWatch.forget(child) ?? WorkerEnd(waitStatus: status))
        }.detach()
        let message = SpawnedWorker.message(rank: rank)
        let written = message.withUnsafeBytes { write(welcome.write, $0.baseAddress, $0.count) }
        guard written == message.count else {
            kill(child, SIGKILL)
            close(output.read)
            close(errors.read)
            memory.unlinkName()
            throw SystemCallError(call: "write", code: errno)
        }
        for end in [output.read, errors.read] { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        let stream = FrameStream.executorEnd(of: memory)
        stream.senderIsGone = { processHasEnded(child) }
        return Started(processID: child, stream: stream, output: output.read, errors: errors.read, memory: memory)
    }

    /// What to do when workers could not be started: a program file that is gone or cannot be
    /// run (deleted, or rebuilt while the program ran) needs the program started again; a system
    /// out of processes or memory needs fewer workers.
    static func advice(after error: any Error, command: String) -> String {
        if let error = error as? SystemCallError, [ENOENT, EACCES, ENOEXEC, ETXTBSY].contains(error.code) {
            return "the program's file \(command) is gone or cannot be run (deleted, or rebuilt while the program "
                + "ran?); start the program again"
        }
        return "the system is short of processes or memory: ask for fewer with maxWorkers (or SWIFTPOOL_WORKERS), "
            + "or start the program under mpirun -np N"
    }

    /// A pipe whose two ends are close-on-exec from the moment they exist.
    static func pipe() throws(SystemCallError) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        try systemCall("pipe2") { pipe2(&ends, O_CLOEXEC) }
        return (ends[0], ends[1])
    }
}

extension WorkerEnd {
    /// How a process ended, from the status `waitpid` gave for it.
    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited(code: (status >> 8) & 0xff) : .signalled(signal)
    }
}
