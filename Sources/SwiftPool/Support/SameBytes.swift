#if canImport(Glibc)
    import Glibc
#endif

/// Whether two byte runs are equal, with one `memcmp`.
func sameBytes(_ bytes: UnsafeRawBufferPointer, _ other: [UInt8]) -> Bool {
    guard bytes.count == other.count else { return false }
    guard bytes.count > 0 else { return true }
    return other.withUnsafeBytes { memcmp(bytes.baseAddress!, $0.baseAddress!, bytes.count) == 0 }
}
