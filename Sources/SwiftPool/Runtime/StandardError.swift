#if canImport(Glibc)
    import Glibc
#endif

/// Writes a line to standard error with one `write(2)`, so lines from many ranks do not interleave.
func printToStandardError(_ line: String) {
    var text = line.hasSuffix("\n") ? line : line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Whether `SWIFTPOOL_TRACE` asks for a line on standard error per pool event (a worker
/// connecting, lost, replaced).
let tracesPoolEvents = getenv("SWIFTPOOL_TRACE") != nil

/// Writes a trace line, with the monotonic time, when tracing is on.
func tracePoolEvent(_ line: @autoclosure () -> String) {
    guard tracesPoolEvents else { return }
    printToStandardError("SwiftPool trace \(Double(monotonicNanos()) / 1e9): \(line())")
}
