import CLinux
import Synchronization

/// A one-way byte stream between two processes through memory both map: one writer, one reader,
/// no system call on either side while both are busy. The writer copies in what fits and
/// publishes the new total written; the reader copies out what is published and publishes the new
/// total read. The two totals live on cache lines of their own, so neither side's stores slow the
/// other's loads.
///
/// A reader with nothing to read may sleep on the ring (``waitForBytes(timeoutNanos:)``): it
/// counts itself among the sleepers and waits on a futex word, and a writer that sees a sleeper
/// bumps the word and wakes it, so a frame is picked up at once rather than at the reader's next
/// poll. A writer with no room sleeps the same way (``waitForSpace(timeoutNanos:)``) until the
/// reader frees some, so a payload far larger than the ring streams through at the pace of the
/// copies. A side with no sleeper opposite makes no system call.
///
/// Layout at `base`: total written (UInt64) at 0, the data wake-up word (UInt32) at 8 and its
/// sleepers (UInt32) at 12; total read (UInt64) at 64, the space wake-up word at 72 and its
/// sleepers at 76; then the bytes.
///
/// `@unchecked Sendable`: pointers into shared memory, synchronized by the two atomic totals.
struct ByteRing: @unchecked Sendable {
    /// The bytes in front of the data: two cache lines.
    static let headerSize = 128

    private let written: UnsafeMutablePointer<Atomic<UInt64>>
    private let wakeWord: UnsafeMutablePointer<Atomic<UInt32>>
    private let sleepers: UnsafeMutablePointer<Atomic<UInt32>>
    private let read: UnsafeMutablePointer<Atomic<UInt64>>
    private let spaceWord: UnsafeMutablePointer<Atomic<UInt32>>
    private let spaceSleepers: UnsafeMutablePointer<Atomic<UInt32>>
    private let data: UnsafeMutableRawPointer
    let capacity: Int

    /// A ring over `headerSize + capacity` bytes at `base`. The side that creates the memory
    /// passes `initialize`; the other maps memory already set up.
    init(base: UnsafeMutableRawPointer, capacity: Int, initialize: Bool) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "a ring's capacity is a power of two")
        written = base.bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        wakeWord = (base + 8).bindMemory(to: Atomic<UInt32>.self, capacity: 1)
        sleepers = (base + 12).bindMemory(to: Atomic<UInt32>.self, capacity: 1)
        read = (base + 64).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        spaceWord = (base + 72).bindMemory(to: Atomic<UInt32>.self, capacity: 1)
        spaceSleepers = (base + 76).bindMemory(to: Atomic<UInt32>.self, capacity: 1)
        if initialize {
            written.initialize(to: Atomic(0))
            wakeWord.initialize(to: Atomic(0))
            sleepers.initialize(to: Atomic(0))
            read.initialize(to: Atomic(0))
            spaceWord.initialize(to: Atomic(0))
            spaceSleepers.initialize(to: Atomic(0))
        }
        data = base + Self.headerSize
        self.capacity = capacity
    }

    /// Copies as much of `bytes` as there is room for; returns how many went in.
    func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        let head = written.pointee.load(ordering: .relaxed)
        let free = capacity - Int(head &- read.pointee.load(ordering: .sequentiallyConsistent))
        let count = min(free, bytes.count)
        guard count > 0 else { return 0 }
        let start = Int(head) & (capacity - 1)
        let first = min(count, capacity - start)
        (data + start).copyMemory(from: bytes.baseAddress!, byteCount: first)
        if first < count { data.copyMemory(from: bytes.baseAddress! + first, byteCount: count - first) }
        // Sequentially consistent, with the sleeper's count below: either the reader sees these
        // bytes before it sleeps, or this side sees the sleeper and wakes it.
        written.pointee.store(head &+ UInt64(count), ordering: .sequentiallyConsistent)
        Self.wake(wakeWord, ifAnyOf: sleepers)
        return count
    }

    /// Sleeps until the reader frees room or `timeoutNanos` pass; returns at once when there is
    /// room already.
    func waitForSpace(timeoutNanos: UInt64) {
        Self.sleep(on: spaceWord, counting: spaceSleepers, timeoutNanos: timeoutNanos) {
            written.pointee.load(ordering: .relaxed) &- read.pointee.load(ordering: .sequentiallyConsistent)
                < UInt64(capacity)
        }
    }

    /// Sleeps until bytes arrive or `timeoutNanos` pass, whichever is first; returns at once when
    /// bytes are already there.
    func waitForBytes(timeoutNanos: UInt64) {
        Self.sleep(on: wakeWord, counting: sleepers, timeoutNanos: timeoutNanos) { readable > 0 }
    }

    /// Counts this side among the sleepers on `word` and sleeps there, unless `ready` already
    /// holds; sequentially consistent with ``wake(_:ifAnyOf:)``, so a change the other side makes
    /// is either seen by `ready` or wakes the sleep.
    private static func sleep(
        on word: UnsafeMutablePointer<Atomic<UInt32>>, counting sleepers: UnsafeMutablePointer<Atomic<UInt32>>,
        timeoutNanos: UInt64, until ready: () -> Bool
    ) {
        sleepers.pointee.add(1, ordering: .sequentiallyConsistent)
        let value = word.pointee.load(ordering: .sequentiallyConsistent)
        if !ready() {
            // A change after the load above has bumped the word: the futex then returns at once.
            word.withMemoryRebound(to: UInt32.self, capacity: 1) {
                _ = clinux_futex_wait($0, value, Int(clamping: timeoutNanos))
            }
        }
        sleepers.pointee.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Wakes whoever sleeps on `word`, when anyone does (one atomic load otherwise).
    private static func wake(
        _ word: UnsafeMutablePointer<Atomic<UInt32>>, ifAnyOf sleepers: UnsafeMutablePointer<Atomic<UInt32>>
    ) {
        guard sleepers.pointee.load(ordering: .sequentiallyConsistent) > 0 else { return }
        word.pointee.add(1, ordering: .sequentiallyConsistent)
        word.withMemoryRebound(to: UInt32.self, capacity: 1) { _ = clinux_futex_wake($0, Int32.max) }
    }

    /// How many bytes are there to read.
    var readable: Int {
        Int(written.pointee.load(ordering: .sequentiallyConsistent) &- read.pointee.load(ordering: .relaxed))
    }

    /// Copies up to `count` waiting bytes to `destination`; returns how many it copied.
    func read(into destination: UnsafeMutableRawPointer, count wanted: Int) -> Int {
        consume(upTo: wanted) { start, first, count in
            destination.copyMemory(from: data + start, byteCount: first)
            if first < count { (destination + first).copyMemory(from: data, byteCount: count - first) }
        }
    }

    /// Drops up to `count` waiting bytes unread; returns how many it dropped.
    func skip(_ count: Int) -> Int { consume(upTo: count) { _, _, _ in } }

    /// Hands `copy` the waiting bytes to take (where they start, how many before the ring wraps,
    /// how many in all), then frees their room and wakes a writer waiting for it.
    private func consume(upTo wanted: Int, _ copy: (_ start: Int, _ first: Int, _ count: Int) -> Void) -> Int {
        let tail = read.pointee.load(ordering: .relaxed)
        let count = min(wanted, Int(written.pointee.load(ordering: .acquiring) &- tail))
        guard count > 0 else { return 0 }
        let start = Int(tail) & (capacity - 1)
        copy(start, min(count, capacity - start), count)
        read.pointee.store(tail &+ UInt64(count), ordering: .sequentiallyConsistent)
        Self.wake(spaceWord, ifAnyOf: spaceSleepers)
        return count
    }
}
