import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One bit per worker slot, in memory rank 0 shares with the workers that share rings with it:
/// a worker sets its bit after it writes into its ring, and rank 0 reads only the rings whose bits
/// are set, so a pass of its loop costs what arrived, not how many workers there are.
///
/// Layout: the bits (one UInt64 word per 64 slots, ``capacity`` slots), then a summary (one bit
/// per word, set when the word may have bits). A worker sets its word's bit, then the summary's;
/// rank 0 takes the summary, then the words it names, each with an atomic exchange to zero. A bit
/// set while rank 0 takes is seen on its next pass. The file has no name: a worker opens it as
/// `/proc/<rank 0's pid>/fd/<descriptor>`, which the doorbell frame gives it.
final class Doorbell: @unchecked Sendable {
    /// Slots the memory has bits for; a slot past it is never rung (rank 0 then reads its ring on
    /// its periodic sweep).
    static let capacity = 1 << 20
    private static let wordCount = capacity / 64
    private static let summaryCount = wordCount / 64
    private static let size = (wordCount + summaryCount) * 8

    private let base: UnsafeMutableRawPointer
    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let summary: UnsafeMutablePointer<Atomic<UInt64>>
    /// Rank 0's descriptor of the memory (-1 on a worker, which needs none after mapping it).
    let descriptor: Int32

    private init(base: UnsafeMutableRawPointer, descriptor: Int32) {
        self.base = base
        self.descriptor = descriptor
        words = base.bindMemory(to: Atomic<UInt64>.self, capacity: Self.wordCount + Self.summaryCount)
        summary = words + Self.wordCount
    }

    deinit {
        munmap(base, Self.size)
        if descriptor >= 0 { close(descriptor) }
    }

    /// Rank 0's doorbell: new memory, every bit clear (its pages are the kernel's zero pages until
    /// a worker rings).
    static func create() throws(SystemCallError) -> Doorbell {
        let (descriptor, _) = try SharedMemoryFile.create(size: size, keepingName: false)
        guard let base = map(descriptor) else {
            let code = errno
            close(descriptor)
            throw SystemCallError(call: "mmap", code: code)
        }
        return Doorbell(base: base, descriptor: descriptor)
    }

    /// A worker's view of rank 0's doorbell, opened through rank 0's descriptor.
    static func open(processID: Int32, descriptor: Int32) throws(SystemCallError) -> Doorbell {
        let file = Glibc.open("/proc/\(processID)/fd/\(descriptor)", O_RDWR | O_CLOEXEC)
        guard file >= 0 else { throw SystemCallError(call: "open", code: errno) }
        defer { close(file) }
        guard let base = map(file) else { throw SystemCallError(call: "mmap", code: errno) }
        return Doorbell(base: base, descriptor: -1)
    }

    private static func map(_ descriptor: Int32) -> UnsafeMutableRawPointer? {
        let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
        return base == MAP_FAILED ? nil : base
    }

    /// Sets a slot's bit: the worker in it wrote into its ring.
    func ring(_ slot: Int) {
        guard slot >= 0, slot < Self.capacity else { return }
        let word = slot >> 6
        words[word].bitwiseOr(1 << UInt64(slot & 63), ordering: .releasing)
        summary[word >> 6].bitwiseOr(1 << UInt64(word & 63), ordering: .releasing)
    }

    /// Takes the bits set among the first `slots` slots, clearing them, and calls `body` with each
    /// slot rung.
    func takeRung(among slots: Int, _ body: (Int) throws -> Void) rethrows {
        let summaries = min(Self.summaryCount, (min(slots, Self.capacity) + 4095) / 4096)
        for index in 0..<summaries {
            // A load first: rank 0 looks on every pass, and an exchange would take the line from
            // the workers that ring it even when nothing is there.
            guard summary[index].load(ordering: .relaxed) != 0 else { continue }
            var marked = summary[index].exchange(0, ordering: .acquiring)
            while marked != 0 {
                let word = index << 6 | marked.trailingZeroBitCount
                marked &= marked - 1
                var bits = words[word].exchange(0, ordering: .acquiring)
                while bits != 0 {
                    try body(word << 6 | bits.trailingZeroBitCount)
                    bits &= bits - 1
                }
            }
        }
    }
}
