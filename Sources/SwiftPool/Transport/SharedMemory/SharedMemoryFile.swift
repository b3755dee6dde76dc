#if canImport(Glibc)
    import Glibc
#endif

/// A new POSIX shared-memory file of a given size, as the rings and the doorbell use it.
enum SharedMemoryFile {
    /// Creates the file under a fresh name and sizes it. Unless `keepingName` (for another
    /// process to open by name), the name is removed at once (Glibc's module does not offer
    /// `memfd_create`): only the descriptor reaches the file.
    static func create(size: Int, keepingName: Bool) throws(SystemCallError) -> (descriptor: Int32, name: String?) {
        var descriptor: Int32 = -1
        var kept: String?
        for _ in 0..<8 {
            let name = "/swiftpool-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            descriptor = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                if keepingName { kept = name } else { shm_unlink(name) }
                break
            }
            guard errno == EEXIST else { break }
        }
        guard descriptor >= 0 else { throw SystemCallError(call: "shm_open", code: errno) }
        guard ftruncate(descriptor, off_t(size)) == 0 else {
            let code = errno
            close(descriptor)
            if let kept { shm_unlink(kept) }
            throw SystemCallError(call: "ftruncate", code: code)
        }
        return (descriptor, kept)
    }
}
