import Foundation

/// A command run to completion with `posix_spawn` and `waitpid`, its output captured.
///
/// Foundation's `Process` counts a child as running while anything it started in the background
/// is alive, which never ends for a script that starts daemons (Slurm, munge); this waits for
/// the child itself. The child leads a process group of its own, so a timeout ends everything it
/// started.
struct ChildProcess {
    var status: Int32
    var standardOutput: Data
    var standardError: Data
    var timedOut: Bool

    static func run(_ arguments: [String], environment: [String: String], timeout: Double) throws -> ChildProcess {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        for descriptor in outputPipe + errorPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Start the job as a shell would: its own process group, default signal dispositions
        // and no blocked signals, whatever the test runner set for itself.
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)

        let argv = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, argv, envp)
        close(outputPipe[1])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL)
        }
        let output = PipeReader(outputPipe[0])
        let errors = PipeReader(errorPipe[0])

        var waitStatus: Int32 = 0
        var timedOut = false
        let deadline = Date().addingTimeInterval(timeout)
        while waitpid(pid, &waitStatus, WNOHANG) == 0 {
            if Date() > deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                let grace = Date().addingTimeInterval(5)
                while waitpid(pid, &waitStatus, WNOHANG) == 0 && Date() < grace { usleep(10_000) }
                kill(-pid, SIGKILL)
                waitpid(pid, &waitStatus, 0)
                break
            }
            usleep(5_000)
        }
        // Exit status as a shell reports it: the code, or 128 + the signal that ended the child.
        let signal = waitStatus & 0x7f
        let status = signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal
        return ChildProcess(
            status: status, standardOutput: output.finish(), standardError: errors.finish(), timedOut: timedOut)
    }
}

/// Reads a pipe on a thread of its own until end of file. A daemon the child left behind may hold
/// the pipe open forever, so `finish` waits at most a few seconds for the end.
private final class PipeReader: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ descriptor: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { break }
                lock.withLock { data.append(contentsOf: buffer[0..<count]) }
            }
            close(descriptor)
            done.signal()
        }
    }

    func finish() -> Data {
        _ = done.wait(timeout: .now() + 5)
        return lock.withLock { data }
    }
}
