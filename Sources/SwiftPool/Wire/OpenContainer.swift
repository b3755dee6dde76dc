/// An open keyed or unkeyed container: where its header sits, so its count and byte length can be
/// patched as entries arrive. A container made by `nestedContainer` links to its parent, whose
/// length must also grow when the nested one is written after the parent's own call returned.
final class OpenContainer {
    let headerOffset: Int
    let parent: OpenContainer?
    var count: UInt32 = 0

    init(headerOffset: Int, parent: OpenContainer?) {
        self.headerOffset = headerOffset
        self.parent = parent
    }

    var contentStart: Int { headerOffset + containerHeaderSize }

    /// Set when an entry past ``maximumEntries`` came through a call that cannot throw.
    private var overflowed = false

    /// A container's entry count is a UInt32 on the wire.
    static let maximumEntries = UInt32.max

    func didAddEntry(in buffer: WireBuffer) throws {
        guard !overflowed, count < Self.maximumEntries else { throw PoolError.tooManyEntries }
        count += 1
        buffer.overwrite(count, at: headerOffset)
        didGrow(buffer)
    }

    /// ``didAddEntry(in:)`` for the `Encoder` calls that cannot throw (nested containers): a count
    /// past the limit is remembered, and thrown by the next entry that can throw.
    func didAddEntryWithoutThrowing(in buffer: WireBuffer) {
        do { try didAddEntry(in: buffer) } catch { overflowed = true }
    }

    func didGrow(_ buffer: WireBuffer) {
        var container: OpenContainer? = self
        while let open = container {
            buffer.overwrite(UInt64(buffer.count - open.contentStart), at: open.headerOffset + 4)
            container = open.parent
        }
    }
}
