#if canImport(Glibc)
    import Glibc
#endif

/// A hash of this process's executable file. Ranks compare fingerprints at start-up because
/// workers find function types by name, which is only sound when every rank runs the same build.
enum BuildFingerprint {
    /// The path of the running executable.
    static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments.first ?? "?" }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// FNV-1a over 8-byte words of the executable, mapped read-only; 0 if it cannot be read.
    /// Computed once per process: rank 0 needs it again for every replacement it spawns.
    static func ofExecutable() -> UInt64 { executableHash }

    private static let executableHash: UInt64 = {
        let descriptor = open("/proc/self/exe", O_RDONLY)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size > 0 else { return 0 }
        let size = Int(info.st_size)
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            return 0
        }
        defer { munmap(mapped, size) }
        return hash(UnsafeRawBufferPointer(start: mapped, count: size))
    }()

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        let words = bytes.count / 8
        for index in 0..<words {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) &* 0x0000_0100_0000_01b3
        }
        for index in (words * 8)..<bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
