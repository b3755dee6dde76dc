import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Carries what a worker's tasks write to standard output and error to rank 0, over the worker's
/// lifeline, so it reaches rank 0's terminal in every launch path, line by line, tagged with the
/// rank and host (rank 0's ``OutputLines`` puts the lines back together).
///
/// The worker's descriptors 1 and 2 become pipes that a thread of ours empties. On the way out
/// the original descriptors come back, so nothing written later is lost: after ``finish()`` on a
/// normal exit, and in the handler for a deadly signal, which also waits briefly for the pipes to
/// empty and writes what is left there straight to the original descriptors (a crash message
/// written just before the crash must not be lost).
enum OutputForwarder {
    /// Written once in ``start(sending:)`` before the thread and the signal handlers can read them;
    /// plain globals, because a signal handler may not take locks or run lazy initializers.
    nonisolated(unsafe) private static var originals: (out: Int32, err: Int32) = (-1, -1)
    nonisolated(unsafe) private static var readEnds: (out: Int32, err: Int32) = (-1, -1)
    /// Whether the thread holds bytes it read and has not yet sent.
    private static let holdsBytes = Atomic<Bool>(false)
    private static let done = Atomic<Bool>(false)

    /// Largest chunk one output record carries.
    static let chunkBytes = 64 * 1024

    /// Redirects this process's standard output and error into pipes and starts the thread that
    /// sends what comes through them with `send` (stream 1 or 2, bytes).
    static func start(sending send: @escaping @Sendable (Int32, UnsafeRawBufferPointer) -> Bool) {
        fflush(nil)
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0 else { return }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            return
        }
        originals = (dup(STDOUT_FILENO), dup(STDERR_FILENO))
        for descriptor in [outPipe[0], errPipe[0], originals.out, originals.err] {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        dup2(outPipe[1], STDOUT_FILENO)
        dup2(errPipe[1], STDERR_FILENO)
        close(outPipe[1])
        close(errPipe[1])
        readEnds = (outPipe[0], errPipe[0])
        // A pipe is fully buffered by stdio; a task's `print` should arrive line by line. (Through
        // the symbol: Swift 6 refuses the `stdout` global as shared mutable state.)
        if let symbol = dlsym(nil, "stdout"),
            let stream = symbol.assumingMemoryBound(to: UnsafeMutablePointer<FILE>?.self).pointee
        {
            setvbuf(stream, nil, _IOLBF, 0)
        }
        DedicatedThread.start(stackBytes: 256 * 1024) { pump(send) }.detach()
    }

    private static func pump(_ send: @Sendable (Int32, UnsafeRawBufferPointer) -> Bool) {
        var open = [(fd: readEnds.out, stream: Int32(1)), (fd: readEnds.err, stream: Int32(2))]
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 1)
        defer { chunk.deallocate() }
        while !open.isEmpty {
            var entries = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            guard poll(&entries, nfds_t(entries.count), -1) > 0 else { continue }
            for (index, entry) in entries.enumerated().reversed() where entry.revents != 0 {
                holdsBytes.store(true, ordering: .releasing)
                let count = read(entry.fd, chunk.baseAddress, chunkBytes)
                if count > 0 {
                    if !send(open[index].stream, UnsafeRawBufferPointer(rebasing: chunk[0..<count])) {
                        // Rank 0 is gone: keep the bytes where someone may still see them.
                        let original = open[index].stream == 1 ? originals.out : originals.err
                        _ = write(original, chunk.baseAddress, count)
                    }
                } else if count == 0 || errno != EINTR {
                    close(entry.fd)
                    open.remove(at: index)
                }
                holdsBytes.store(false, ordering: .releasing)
            }
        }
        done.store(true, ordering: .releasing)
    }

    /// On a normal exit: puts the original descriptors back and waits (up to `timeoutNanos`) until
    /// everything written before has been sent.
    static func finish(timeoutNanos: UInt64 = 2_000_000_000) {
        guard originals.out >= 0 else { return }
        fflush(nil)
        dup2(originals.out, STDOUT_FILENO)
        dup2(originals.err, STDERR_FILENO)
        let deadline = monotonicNanos() &+ timeoutNanos
        while !done.load(ordering: .acquiring) && monotonicNanos() < deadline { sleepNanos(1_000_000) }
    }

    /// In a deadly signal's handler: async-signal-safe. Puts the original descriptors back, gives
    /// the thread up to 100 ms to send what is in the pipes, then writes what is still there
    /// straight to the original descriptors.
    static func finishForCrash() {
        guard originals.out >= 0 else { return }
        dup2(originals.out, STDOUT_FILENO)
        dup2(originals.err, STDERR_FILENO)
        var waited = 0
        while waited < 100,
            pendingBytes(readEnds.out) + pendingBytes(readEnds.err) > 0 || holdsBytes.load(ordering: .acquiring)
        {
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&pause, nil)
            waited += 1
        }
        copyLeftovers(from: readEnds.out, to: originals.out)
        copyLeftovers(from: readEnds.err, to: originals.err)
    }

    private static func pendingBytes(_ descriptor: Int32) -> Int32 {
        var count: Int32 = 0
        return ioctl(descriptor, UInt(FIONREAD), &count) == 0 ? count : 0
    }

    private static func copyLeftovers(from source: Int32, to destination: Int32) {
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { bytes in
            while pendingBytes(source) > 0 {
                let count = read(source, bytes.baseAddress, bytes.count)
                guard count > 0 else { return }
                _ = write(destination, bytes.baseAddress, count)
            }
        }
    }
}
