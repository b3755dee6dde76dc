/// A set of slot numbers that finds its lowest member quickly: one bit per slot, and one summary
/// bit per 64 slots saying whether any of them is in. Inserting and removing are O(1); the lowest
/// member takes one pass over the summary (a word per 4,096 slots).
struct SlotBitmap {
    private var words: [UInt64] = []
    private var summary: [UInt64] = []

    mutating func insert(_ slot: Int) {
        let word = slot >> 6
        if word >= words.count {
            words += repeatElement(0, count: word + 1 - words.count)
            summary += repeatElement(0, count: (words.count + 63) / 64 - summary.count)
        }
        words[word] |= 1 << UInt64(slot & 63)
        summary[word >> 6] |= 1 << UInt64(word & 63)
    }

    mutating func remove(_ slot: Int) {
        let word = slot >> 6
        guard word < words.count else { return }
        words[word] &= ~(1 << UInt64(slot & 63))
        if words[word] == 0 { summary[word >> 6] &= ~(1 << UInt64(word & 63)) }
    }

    func contains(_ slot: Int) -> Bool {
        let word = slot >> 6
        return word < words.count && words[word] & (1 << UInt64(slot & 63)) != 0
    }

    /// The lowest slot in the set.
    var first: Int? {
        for (index, bits) in summary.enumerated() where bits != 0 {
            let word = index << 6 | bits.trailingZeroBitCount
            return word << 6 | words[word].trailingZeroBitCount
        }
        return nil
    }
}
