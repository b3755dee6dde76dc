#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, and `errno` in words.
struct SystemCallError: Error, CustomStringConvertible {
    var call: String
    var code: Int32

    var description: String { "\(call) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// Runs a system call that returns -1 and sets `errno` on failure, retrying when a signal
/// interrupts it, and turns a failure into a ``SystemCallError`` that names the call.
@discardableResult
func systemCall<T: FixedWidthInteger>(_ call: StaticString, _ body: () -> T) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        if errno == EINTR { continue }
        throw SystemCallError(call: "\(call)", code: errno)
    }
}
