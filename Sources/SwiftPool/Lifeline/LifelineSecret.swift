/// The per-job secret a supervisor shows when it connects its lifeline. Rank 0 makes it from the
/// kernel's random source and hands it to each supervisor over MPI, so only processes of this job can
/// hold a lifeline open.
struct LifelineSecret: Sendable, Equatable {
    static let size = 32
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        precondition(bytes.count == Self.size)
        self.bytes = bytes
    }

    /// 32 bytes from the system's generator, which on Linux is the kernel's `getrandom`, a
    /// cryptographically secure source.
    static func random() -> LifelineSecret {
        var generator = SystemRandomNumberGenerator()
        return LifelineSecret(bytes: (0..<size).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Compares in time that does not depend on where the bytes differ, so a stranger cannot find
    /// the secret a byte at a time by timing refusals.
    func matches(_ candidate: UnsafeRawBufferPointer) -> Bool {
        guard candidate.count == Self.size else { return false }
        var difference: UInt8 = 0
        for index in 0..<Self.size { difference |= bytes[index] ^ candidate[index] }
        return difference == 0
    }
}
