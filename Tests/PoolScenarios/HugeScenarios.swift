import Foundation
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

/// Bytes in a pattern that repeats every 4,093 bytes (a prime, so no piece boundary lines up with
/// it): a piece lost, repeated or out of order breaks the pattern where it lands.
enum PatternBytes {
    static let period: [UInt8] = (0..<4093).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

    static func make(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { storage, initialized in
            // Doubling copies: fast even in a debug build.
            let filled = min(count, period.count)
            period.withUnsafeBufferPointer { _ = memcpy(storage.baseAddress!, $0.baseAddress!, filled) }
            var done = filled
            while done < count {
                let step = min(done, count - done)
                memcpy(storage.baseAddress! + done, storage.baseAddress!, step)
                done += step
            }
            initialized = count
        }
    }

    /// Whether `bytes` are exactly `count` bytes of the pattern.
    static func matches(_ bytes: [UInt8], count: Int) -> Bool {
        guard bytes.count == count else { return false }
        return bytes.withUnsafeBytes { all in
            period.withUnsafeBytes { expected in
                var offset = 0
                while offset < count {
                    let length = min(expected.count, count - offset)
                    if memcmp(all.baseAddress! + offset, expected.baseAddress!, length) != 0 { return false }
                    offset += length
                }
                return true
            }
        }
    }
}

/// Bytes inside a struct: they travel in the frame itself, not as an attachment.
struct Blob: Codable, Sendable {
    var bytes: [UInt8]
}

/// Frame in (a Blob), attachment out (a top-level array).
struct BlobToBytes: RemoteFunction {
    func callAsFunction(_ blob: Blob) -> [UInt8] { blob.bytes }
}

/// Attachment in, frame out.
struct BytesToBlob: RemoteFunction {
    func callAsFunction(_ bytes: [UInt8]) -> Blob { Blob(bytes: bytes) }
}

enum HugeScenarios {
    /// `huge BYTES`: a BYTES-long argument inside a struct goes out and comes back as an array,
    /// then the other way round, while small tasks keep running on the other workers.
    static func roundTrips(bytes: Int) throws {
        try MPIPoolExecutor.run { pool in
            let structOut = try pool.submit(BlobToBytes(), Blob(bytes: PatternBytes.make(count: bytes)))
            Report.fact("huge.smallDuringStructOut", smallTasks(pool, until: structOut))
            Report.fact("huge.structOut", Report.outcome { PatternBytes.matches(try structOut.result(), count: bytes) })

            let arrayOut = try pool.submit(BytesToBlob(), PatternBytes.make(count: bytes))
            Report.fact("huge.smallDuringArrayOut", smallTasks(pool, until: arrayOut))
            Report.fact(
                "huge.arrayOut", Report.outcome { PatternBytes.matches(try arrayOut.result().bytes, count: bytes) })
            Report.fact("huge.after", try pool.submit(Square(), 6).result())
        }
    }

    /// Runs small tasks one after another, 2 ms apart (so they leave the cores to the big one),
    /// until `big` is done; returns how many finished.
    private static func smallTasks<T>(_ pool: MPIPoolExecutor, until big: Future<T>) -> Int {
        var finished = 0
        while !big.isDone {
            if (try? pool.submit(Square(), finished).result()) == finished * finished { finished += 1 }
            usleep(2000)
        }
        return finished
    }
}
