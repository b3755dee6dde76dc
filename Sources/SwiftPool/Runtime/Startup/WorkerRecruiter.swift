#if canImport(Glibc)
    import Glibc
#endif

/// Starts the plain start's workers, and replacements for those lost: copies of this executable
/// with its arguments, started with `posix_spawn` as ``SpawnedWorker``s (no MPI). Each reads its
/// welcome from a pipe and talks to rank 0 through memory the two share; a thread reaps it when
/// it exits.
struct WorkerRecruiter: Sendable {
    var command: String
    var arguments: [String]

    /// A worker just started: its process and rank 0's end of its frames.
    struct Started {
        var processID: pid_t
        var stream: FrameStream
    }

    /// Starts one worker and hands it `welcome`.
    func start(_ welcome: Welcome) throws -> Started {
        let memory = try SharedChannelMemory.create()
        defer { memory.closeDescriptor() }
        var ends: [Int32] = [-1, -1]
        try systemCall("pipe") { pipe(&ends) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(ends[1]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 3)
        posix_spawn_file_actions_adddup2(&actions, memory.descriptor, SharedChannelMemory.inheritedDescriptor)
        // Standard input belongs to rank 0, as under mpirun.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // The scheduler's thread blocks SIGPIPE for itself; the worker starts with nothing blocked.
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
        environment.append("\(SpawnedWorker.descriptorVariable)=3")
        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        var process: pid_t = 0
        let spawned = posix_spawn(&process, command, &actions, &attributes, argv, envp)
        close(ends[0])
        guard spawned == 0 else { throw SystemCallError(call: "posix_spawn", code: spawned) }
        let message = SpawnedWorker.message(welcome)
        let written = message.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        guard written == message.count else {
            kill(process, SIGKILL)
            throw SystemCallError(call: "write", code: errno)
        }
        let child = process
        DedicatedThread.start(stackBytes: 64 * 1024) {
            var status: Int32 = 0
            while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        }.detach()
        return Started(processID: child, stream: .executorEnd(of: memory))
    }
}
