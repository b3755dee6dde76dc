import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the executor's thread and the monitor thread share: commands in, a count out.
final class MonitorControl: Sendable {
    enum Command {
        case expect(rank: Int, host: String)
        case forget(rank: Int)
        /// Names the host of a worker rank, for the tag of its lines.
        case name(rank: Int, host: String)
        /// Read a worker's standard output and error from these pipes until they close.
        case adoptOutput(rank: Int, output: Int32, errors: Int32)
        case stopping
        case shutdown
    }

    let commands = Mutex<[Command]>([])
    /// Lifelines connected and not yet closed.
    let openLifelines = Atomic<Int>(0)
    /// Output pipes of workers adopted and not yet closed.
    let openPipes = Atomic<Int>(0)
    /// Lifelines that closed without their worker saying it was stopping or how it ended,
    /// counted even while workers are being stopped.
    let unannouncedClosures = Atomic<Int>(0)
    /// A pipe whose read end wakes the monitor's `poll` when a command arrives.
    let wakeDescriptor: Int32
    private let wakeWriter: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        pipe2(&ends, O_CLOEXEC | O_NONBLOCK)
        wakeDescriptor = ends[0]
        wakeWriter = ends[1]
    }

    deinit {
        close(wakeDescriptor)
        close(wakeWriter)
    }

    func send(_ command: Command) {
        commands.withLock { $0.append(command) }
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
    }

    func take() -> [Command] {
        var drained = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptor, &drained, drained.count) > 0 {}
        return commands.withLock { commands in
            defer { commands.removeAll() }
            return commands
        }
    }
}
