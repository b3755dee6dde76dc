import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A supervisor's thread that reads its workers' standard output and error from their pipes and
/// sends the bytes to rank 0 over the lifeline, each with the rank of the worker that wrote them.
/// The supervisor holds the pipes, not the worker: what a worker wrote before it died (a crash
/// report included) stays in the pipe and is read to the end after the death.
final class OutputRelay: Sendable {
    private struct Pipe {
        var descriptor: Int32
        var rank: Int
        var stream: Int32
    }

    private let added = Mutex<[Pipe]>([])
    private let open = Atomic<Int>(0)
    private let wakeReader: Int32
    private let wakeWriter: Int32

    /// Starts the thread; `send(rank, stream, bytes)` forwards bytes and says whether they went.
    init(sending send: @escaping @Sendable (Int, Int32, UnsafeRawBufferPointer) -> Bool) {
        var ends: [Int32] = [-1, -1]
        pipe2(&ends, O_CLOEXEC | O_NONBLOCK)
        wakeReader = ends[0]
        wakeWriter = ends[1]
        let reader = ends[0]
        DedicatedThread.start(stackBytes: 256 * 1024) { [self] in pump(wakeReader: reader, send: send) }.detach()
    }

    /// Reads the pipes of the worker of `rank` until they close.
    func adopt(rank: Int, output: Int32, errors: Int32) {
        open.add(2, ordering: .releasing)
        added.withLock {
            $0.append(Pipe(descriptor: output, rank: rank, stream: 1))
            $0.append(Pipe(descriptor: errors, rank: rank, stream: 2))
        }
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
    }

    /// Waits until every adopted pipe has closed and all it held was sent, or the time is up.
    func waitUntilDrained(timeoutNanos: UInt64) {
        let deadline = monotonicNanos() &+ timeoutNanos
        while open.load(ordering: .acquiring) > 0 && monotonicNanos() < deadline { sleepNanos(1_000_000) }
    }

    private func pump(wakeReader: Int32, send: @Sendable (Int, Int32, UnsafeRawBufferPointer) -> Bool) {
        var pipes: [Pipe] = []
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            var entries = [pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)]
            entries += pipes.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            guard poll(&entries, nfds_t(entries.count), -1) > 0 else { continue }
            if entries[0].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 64)
                while read(wakeReader, &drained, drained.count) > 0 {}
                pipes += added.withLock { newcomers in
                    defer { newcomers.removeAll() }
                    return newcomers
                }
            }
            for index in (0..<entries.count - 1).reversed() where entries[index + 1].revents != 0 {
                let pipe = pipes[index]
                let count = read(pipe.descriptor, chunk.baseAddress, chunk.count)
                if count > 0 {
                    if !send(pipe.rank, pipe.stream, UnsafeRawBufferPointer(rebasing: chunk[0..<count])) {
                        // Rank 0 is gone: keep the bytes where someone may still see them.
                        _ = write(pipe.stream == 1 ? STDOUT_FILENO : STDERR_FILENO, chunk.baseAddress, count)
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(pipe.descriptor)
                    pipes.remove(at: index)
                    open.subtract(1, ordering: .releasing)
                }
            }
        }
    }
}
