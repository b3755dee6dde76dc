/// SplitMix64: small, fast, and the same sequence for the same seed everywhere.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var value = state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}

/// Makes case `index` of a campaign with `seed`: a target and the bytes to feed it, always the
/// same for the same seed and index, so any case can be replayed alone.
enum Mutator {
    /// Values that break length and count arithmetic, written over 4 or 8 bytes.
    private static let extremes: [UInt64] = [
        0, 1, 2, 3, 7, 8, 16, 255, 0x7f, 0x80, 0xff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000,
        0x1000_0000, 0x0800_0000, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, .max,
    ]

    static func makeCase(seed: UInt64, index: UInt64, targets: [FuzzTarget]) -> (target: Int, bytes: [UInt8]) {
        var random = SeededGenerator(seed: seed ^ (index &* 0xd6e8_feb8_6659_fd93))
        let target = Int.random(in: 0..<targets.count, using: &random)
        let samples = targets[target].samples
        var bytes = samples.randomElement(using: &random) ?? []
        if Int.random(in: 0..<20, using: &random) == 0 {
            // A frame of noise, now and then with a real tag in front.
            bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if !bytes.isEmpty && Bool.random(using: &random) { bytes[0] = UInt8.random(in: 0...14, using: &random) }
            return (target, bytes)
        }
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            mutate(&bytes, random: &random, targets: targets)
        }
        return (target, bytes)
    }

    private static func mutate(_ bytes: inout [UInt8], random: inout SeededGenerator, targets: [FuzzTarget]) {
        guard !bytes.isEmpty else {
            bytes = [UInt8.random(in: 0...14, using: &random)]
            return
        }
        let at = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<8, using: &random) {
        case 0: bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &random)
        case 1: bytes[at] = UInt8.random(in: 0...255, using: &random)
        case 2, 3:
            // A length or count field (4 or 8 bytes, often right after a tag) set to an extreme.
            let width = Bool.random(using: &random) ? 4 : 8
            let value = extremes.randomElement(using: &random)!
            for offset in 0..<width where at + offset < bytes.count {
                bytes[at + offset] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(offset)))
            }
        case 4: bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
        case 5:
            // A splice: this one's head and another sample's tail.
            let other = targets.randomElement(using: &random)!.samples.randomElement(using: &random) ?? []
            let cut = other.isEmpty ? 0 : Int.random(in: 0..<other.count, using: &random)
            bytes = Array(bytes[..<at]) + other[cut...]
        case 6:
            let insert = (0..<Int.random(in: 1...16, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            bytes.insert(contentsOf: insert, at: at)
        default:
            bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &random)))
        }
    }
}
