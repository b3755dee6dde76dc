#if canImport(Glibc)
    import Glibc
#endif

/// Starts replacement workers in the plain start: copies of this executable with its arguments,
/// started with `posix_spawn` as ``SocketWorker``s (no MPI). Each reads its welcome from a pipe;
/// a thread reaps it when it exits.
struct WorkerRecruiter: Sendable {
    var command: String
    var arguments: [String]

    /// Starts one worker and hands it `welcome`; returns its process id.
    func start(_ welcome: Welcome) throws -> pid_t {
        var ends: [Int32] = [-1, -1]
        try systemCall("pipe") { pipe(&ends) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(ends[1]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], 3)

        var environment: [String] = []
        var entry: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = environ
        while let variable = entry.pointee {
            let text = String(cString: variable)
            if !text.hasPrefix("\(SocketWorker.descriptorVariable)=") { environment.append(text) }
            entry += 1
        }
        environment.append("\(SocketWorker.descriptorVariable)=3")
        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        var process: pid_t = 0
        let spawned = posix_spawn(&process, command, &actions, nil, argv, envp)
        close(ends[0])
        guard spawned == 0 else { throw SystemCallError(call: "posix_spawn", code: spawned) }
        let message = SocketWorker.message(welcome)
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
        return child
    }
}
