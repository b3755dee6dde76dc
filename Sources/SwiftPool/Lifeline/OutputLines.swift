#if canImport(Glibc)
    import Glibc
#endif

/// Rank 0's side of worker output: puts each worker's bytes back together into lines and hands
/// every complete line to ``StandardStreamWriter``, which writes it in one piece, with a tag
/// (`[rank 2 node7] `) unless `SWIFTPOOL_OUTPUT_TAGS` turns it off. One line is never cut by another, however
/// the bytes arrived.
struct OutputLines {
    /// A line longer than this is written in parts rather than held without end.
    static let longestLine = 1 << 20

    private struct Key: Hashable {
        var rank: Int
        var stream: Int32
    }

    private var pending: [Key: [UInt8]] = [:]
    /// Each worker's host and the tag its lines get, made once.
    private var workers: [Int: (host: String, tag: [UInt8])] = [:]

    /// Names the worker of `rank` for its lines and its forwarded log records.
    mutating func setHost(_ host: String, rank: Int) {
        workers[rank] = (host, Array("[rank \(rank) \(host)] ".utf8))
    }

    /// The host of the worker of `rank`, once named.
    func host(of rank: Int) -> String? { workers[rank]?.host }

    /// Takes bytes a worker wrote to `stream` (1 or 2) and writes the lines they complete.
    mutating func append(_ bytes: ArraySlice<UInt8>, rank: Int, stream: Int32) {
        let key = Key(rank: rank, stream: stream)
        var buffer = pending[key, default: []]
        buffer += bytes
        var start = buffer.startIndex
        while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
            write(buffer[start...newline], rank: rank, stream: stream)
            start = newline + 1
        }
        if buffer.count - start > Self.longestLine {
            write(buffer[start...] + [UInt8(ascii: "\n")], rank: rank, stream: stream)
            start = buffer.endIndex
        }
        buffer.removeFirst(start - buffer.startIndex)
        pending[key] = buffer.isEmpty ? nil : buffer
    }

    /// The worker of `rank` is gone: writes what it left without a newline, ending the line.
    mutating func finish(rank: Int) {
        for stream: Int32 in [1, 2] {
            guard let rest = pending.removeValue(forKey: Key(rank: rank, stream: stream)) else { continue }
            write(rest[...] + [UInt8(ascii: "\n")], rank: rank, stream: stream)
        }
        workers[rank] = nil
    }

    private func write(_ line: ArraySlice<UInt8>, rank: Int, stream: Int32) {
        let tag = PoolSettings.tagsOutputLines ? workers[rank]?.tag ?? Array("[rank \(rank)] ".utf8) : []
        StandardStreamWriter.shared.write(tag + line, to: stream == 2 ? STDERR_FILENO : STDOUT_FILENO)
    }
}
