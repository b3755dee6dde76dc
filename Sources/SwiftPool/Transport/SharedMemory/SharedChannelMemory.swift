#if canImport(Glibc)
    import Glibc
#endif

/// The memory rank 0 shares with one worker: a ring each way. The worker's parent creates it as a
/// shared-memory file before it starts the worker, which inherits the descriptor and maps the
/// same pages. Rank 0, as the parent, unlinks it at once: nothing else can open it, no name, no
/// port, no secret to hand out. A supervisor on rank 0's host keeps the name until rank 0 has
/// opened it (and unlinked it), so rank 0 talks to that worker directly, with no relay.
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
    /// The file's name while it still has one (memory for rank 0 to open).
    private(set) var name: String?
    let toWorker: ByteRing
    let toExecutor: ByteRing

    /// The worker's parent: new memory, rings empty. Unless `keepingName` (for rank 0 to open),
    /// the file is unlinked at once (Glibc's module does not offer `memfd_create`): only the
    /// descriptor, which the worker inherits, reaches it.
    static func create(keepingName: Bool = false) throws(SystemCallError) -> SharedChannelMemory {
        let (descriptor, kept) = try SharedMemoryFile.create(size: size, keepingName: keepingName)
        let memory = try SharedChannelMemory(descriptor: descriptor, initialize: true)
        memory.name = kept
        return memory
    }

    /// Rank 0: the memory a supervisor on its host made for a worker, opened by name and unlinked
    /// at once.
    static func open(named name: String) throws(SystemCallError) -> SharedChannelMemory {
        let descriptor = shm_open(name, O_RDWR | O_CLOEXEC, 0)
        guard descriptor >= 0 else { throw SystemCallError(call: "shm_open", code: errno) }
        shm_unlink(name)
        let memory = try SharedChannelMemory(descriptor: descriptor, initialize: false)
        memory.closeDescriptor()
        return memory
    }

    /// Removes the file's name, if it still has one (rank 0 never opened it).
    func unlinkName() {
        guard let name else { return }
        shm_unlink(name)
        self.name = nil
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
