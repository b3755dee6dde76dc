#if canImport(Glibc)
    import Glibc
#endif

/// A fingerprint of this process's executable. Ranks compare fingerprints at start-up because
/// workers find function types by name, which is only sound when every rank runs the same build.
enum BuildFingerprint {
    /// The path of the running executable.
    static var executablePath: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments.first ?? "?" }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The executable's ELF build-id, hashed: the linker computes it from the whole linked output,
    /// so two builds that differ in any byte have different ids, and reading it from the program
    /// headers takes microseconds where hashing the file took 17 ms per 100 MB (108 ms
    /// from a cold cache), on every rank. Without a build-id note, FNV-1a over the file.
    /// Computed once per process: rank 0 needs it again for every replacement it spawns.
    static func ofExecutable() -> UInt64 { executableHash }

    private static let executableHash: UInt64 = {
        if let id = buildID(), !id.isEmpty { return id.withUnsafeBytes { hash($0) } }
        return hashOfFile()
    }()

    /// The bytes of the running executable's `NT_GNU_BUILD_ID` note, if it has one: read from the
    /// file's program headers and its note segments, a few kilobytes at most.
    static func buildID() -> [UInt8]? {
        let descriptor = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        func read(_ count: Int, at offset: Int) -> [UInt8]? {
            guard count > 0, count <= 1 << 20 else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
            return got == count ? bytes : nil
        }
        // A 64-bit little-endian ELF file: "\u{7F}ELF", class 2, data 1.
        guard let header = read(64, at: 0), header[0..<4] == [0x7f, 0x45, 0x4c, 0x46], header[4] == 2, header[5] == 1
        else { return nil }
        func field<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> Int {
            Int(bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) })
        }
        let tableOffset = field(header, 0x20, UInt64.self)
        let entrySize = field(header, 0x36, UInt16.self)
        let entries = field(header, 0x38, UInt16.self)
        guard entrySize >= 56, let table = read(entrySize * entries, at: tableOffset) else { return nil }
        for index in 0..<entries {
            let entry = Array(table[(index * entrySize)..<(index * entrySize + 56)])
            // PT_NOTE segments: their file offset at 0x08, their size in the file at 0x20.
            guard field(entry, 0, UInt32.self) == 4,
                let notes = read(field(entry, 0x20, UInt64.self), at: field(entry, 0x08, UInt64.self))
            else { continue }
            if let id = notes.withUnsafeBytes({ buildID(inNotes: $0) }) { return id }
        }
        return nil
    }

    /// Finds the GNU build-id in a run of ELF notes (name size, description size, type, then the
    /// name and the description, each padded to 4 bytes).
    static func buildID(inNotes notes: UnsafeRawBufferPointer) -> [UInt8]? {
        var offset = 0
        func padded(_ size: Int) -> Int { (size + 3) & ~3 }
        while offset + 12 <= notes.count {
            let nameSize = Int(notes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let descriptionSize = Int(notes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            let type = notes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let nameStart = offset + 12
            let descriptionStart = nameStart + padded(nameSize)
            guard descriptionStart + descriptionSize <= notes.count else { return nil }
            let name = Array(notes[nameStart..<nameStart + nameSize])
            // NT_GNU_BUILD_ID
            if type == 3 && name == Array("GNU\0".utf8) {
                return Array(notes[descriptionStart..<descriptionStart + descriptionSize])
            }
            offset = descriptionStart + padded(descriptionSize)
        }
        return nil
    }

    private static func hashOfFile() -> UInt64 {
        let descriptor = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
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
    }

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
