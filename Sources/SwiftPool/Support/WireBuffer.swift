#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A growable block of raw bytes with a stable address: what the codec writes, what MPI sends
/// from and receives into.
///
/// `@unchecked Sendable` because a buffer changes hands between threads (a submitting thread
/// writes it, the MPI thread sends it) but is never used by two threads at once.
final class WireBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var count: Int
    private(set) var capacity: Int

    init(capacity: Int = 128) {
        self.capacity = max(capacity, 16)
        self.base = malloc(self.capacity)!
        self.count = 0
    }

    /// A buffer of `count` bytes whose contents the caller fills (an MPI receive).
    init(uninitializedCount: Int) {
        self.capacity = max(uninitializedCount, 16)
        self.base = malloc(self.capacity)!
        self.count = uninitializedCount
    }

    deinit { free(base) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Makes room for `extra` more bytes and returns where they start; the caller writes them.
    @inline(__always)
    func extend(by extra: Int) -> UnsafeMutableRawPointer {
        if count + extra > capacity { grow(toAtLeast: count + extra) }
        let start = base + count
        count += extra
        return start
    }

    /// Forgets the last `bytes` bytes (room made by ``extend(by:)`` that was not filled).
    func truncate(by bytes: Int) {
        count -= bytes
    }

    /// Removes the first `bytes` bytes, moving the rest to the start.
    func dropFirst(_ bytes: Int) {
        if bytes < count { memmove(base, base + bytes, count - bytes) }
        count -= min(bytes, count)
    }

    private func grow(toAtLeast needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        // realloc moves large blocks by remapping pages rather than copying them.
        base = realloc(base, newCapacity)!
        capacity = newCapacity
    }

    @inline(__always)
    func append<T: FixedWidthInteger>(_ value: T) {
        extend(by: MemoryLayout<T>.size).storeBytes(of: value.littleEndian, as: T.self)
    }

    @inline(__always)
    func append(_ source: UnsafeRawBufferPointer) {
        guard source.count > 0 else { return }
        extend(by: source.count).copyMemory(from: source.baseAddress!, byteCount: source.count)
    }

    /// Overwrites a fixed-width integer written earlier (a length or count patched in place).
    @inline(__always)
    func overwrite<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        (base + offset).storeBytes(of: value.littleEndian, as: T.self)
    }

    /// Appends a LEB128 length: one byte below 128.
    func appendLength(_ length: Int) {
        var remaining = UInt64(length)
        while remaining >= 0x80 {
            append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        append(UInt8(remaining))
    }

    /// Appends a string's UTF-8 bytes after their LEB128 length.
    func appendUTF8(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            appendLength(utf8.count)
            append(UnsafeRawBufferPointer(utf8))
        }
    }
}
