#if canImport(Glibc)
    import Glibc
#endif

/// The memory rank 0 shares with one worker it started itself: a ring each way. Rank 0 creates
/// it as a shared-memory file and unlinks it at once, before it starts the worker, which
/// inherits the descriptor and maps the same pages. Nothing else can open it: no name, no port,
/// no secret to hand out.
///
/// `@unchecked Sendable`: the mapping never changes after init; its rings synchronize themselves.
final class SharedChannelMemory: @unchecked Sendable {
    /// The bytes of each ring: enough for most frames at once, and a big one goes through in
    /// pieces while the other side reads.
    static let ringCapacity = 1 << 20
    private static var size: Int { 2 * (ByteRing.headerSize + ringCapacity) }

    /// The descriptor a started worker finds its memory on.
    static let inheritedDescriptor: Int32 = 4

    private let base: UnsafeMutableRawPointer
    /// The file, open on rank 0 until the worker has it; -1 after.
    private(set) var descriptor: Int32
    let toWorker: ByteRing
    let toExecutor: ByteRing

    /// Rank 0: new memory, rings empty. The file is unlinked at once (Glibc's module does not
    /// offer `memfd_create`): only the descriptor, which the worker inherits, reaches it.
    static func create() throws(SystemCallError) -> SharedChannelMemory {
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            let name = "/swiftpool-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            descriptor = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                shm_unlink(name)
                break
            }
            guard errno == EEXIST else { break }
        }
        guard descriptor >= 0 else { throw SystemCallError(call: "shm_open", code: errno) }
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            let code = errno
            close(descriptor)
            throw SystemCallError(call: "ftruncate", code: code)
        }
        return try SharedChannelMemory(descriptor: descriptor, initialize: true)
    }

    /// A worker: the memory rank 0 handed it; the descriptor is closed once mapped.
    static func inherited() throws(SystemCallError) -> SharedChannelMemory {
        let memory = try SharedChannelMemory(descriptor: inheritedDescriptor, initialize: false)
        memory.closeDescriptor()
        return memory
    }

    private init(descriptor: Int32, initialize: Bool) throws(SystemCallError) {
        guard let mapped = mmap(nil, Self.size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
            mapped != MAP_FAILED
        else {
            let code = errno
            close(descriptor)
            throw SystemCallError(call: "mmap", code: code)
        }
        self.base = mapped
        self.descriptor = descriptor
        let ringSize = ByteRing.headerSize + Self.ringCapacity
        toWorker = ByteRing(base: mapped, capacity: Self.ringCapacity, initialize: initialize)
        toExecutor = ByteRing(base: mapped + ringSize, capacity: Self.ringCapacity, initialize: initialize)
    }

    /// Closes the file; the mapping stays.
    func closeDescriptor() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit {
        closeDescriptor()
        munmap(base, Self.size)
    }
}
