#if canImport(Glibc)
    import Glibc
#endif

/// Writes a line to standard error with one `write(2)`, so lines from many ranks do not interleave.
func printToStandardError(_ line: String) {
    var text = line.hasSuffix("\n") ? line : line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
