import DequeModule
import Foundation

@testable import SwiftPool

// What the fuzzer decodes: the value shapes a pool's tasks, results and shared values take, and
// the frame readers of both sides.

struct FuzzPoint: Codable, Equatable {
    var x: Double
    var y: Double
}

struct FuzzRecord: Codable, Equatable {
    var id: Int
    var name: String
    var weights: [Double]
    var tags: [String: Int]
    var nickname: String?
    var flags: [Bool]
    var blob: Data
}

enum FuzzShape: Codable, Equatable {
    case circle(center: FuzzPoint, radius: Double)
    case polygon([FuzzPoint])
    case empty
}

indirect enum FuzzTree: Codable, Equatable {
    case leaf(Int)
    case node([FuzzTree])
}

/// Runs on workers when a mutated task frame happens to name it: harmless.
struct FuzzEcho: RemoteFunction {
    var prefix: String
    func callAsFunction(_ value: FuzzRecord) -> String { prefix + value.name }
}

/// One decoder entry point: its name, sample values to mutate, and how to run a case.
struct FuzzTarget {
    var name: String
    var samples: [[UInt8]]
    var run: ([UInt8]) -> Void
    /// Decodes one case makes (a value is decoded twice: alone, and with an attachment).
    var decodes = 2
}

enum Targets {
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        guard let buffer = try? WireEncoder.encode(value) else { return [] }
        return Array(buffer.bytes)
    }

    /// Decodes `bytes` as `T`, with an attachment made of the bytes' tail when asked (an attached
    /// array's bytes may be anything).
    static func decoding<T: Decodable>(_ type: T.Type) -> ([UInt8]) -> Void {
        { bytes in
            _ = try? bytes.withUnsafeBytes { try WireDecoder.decode(T.self, from: $0, attachment: nil) }
            let split = bytes.count / 2
            let buffer = WireBuffer()
            bytes[split...].withUnsafeBytes { buffer.append($0) }
            _ = try? bytes[..<split].withUnsafeBytes {
                try WireDecoder.decode(T.self, from: $0, attachment: LocalAttachment(buffer))
            }
        }
    }

    static var all: [FuzzTarget] {
        let record = FuzzRecord(
            id: 7, name: "seven", weights: [1, 2.5, -3], tags: ["a": 1, "b": 2], nickname: nil, flags: [true, false],
            blob: Data([1, 2, 3]))
        var tree = FuzzTree.leaf(1)
        for index in 0..<6 { tree = .node([tree, .leaf(index)]) }
        let big = (0..<40_000).map(Double.init)
        return [
            FuzzTarget(name: "Int", samples: [encode(42), encode(-1)], run: decoding(Int.self)),
            FuzzTarget(name: "String", samples: [encode("héllo wörld"), encode("")], run: decoding(String.self)),
            FuzzTarget(
                name: "[Int]", samples: [encode([1, 2, 3]), encode(Array(0..<100))], run: decoding([Int].self)),
            FuzzTarget(name: "[String]", samples: [encode(["a", "bc", ""])], run: decoding([String].self)),
            FuzzTarget(name: "[String: Int]", samples: [encode(["a": 1, "b": 2])], run: decoding([String: Int].self)),
            FuzzTarget(
                name: "[String: [Int]]", samples: [encode(["a": [1], "b": [2, 3]])], run: decoding([String: [Int]].self)
            ),
            FuzzTarget(name: "Deque<Int>", samples: [encode(Deque([1, 2, 3]))], run: decoding(Deque<Int>.self)),
            FuzzTarget(name: "[Bool]", samples: [encode([true, false, true])], run: decoding([Bool].self)),
            FuzzTarget(name: "[Double] attached", samples: [encode(big)], run: decoding([Double].self)),
            FuzzTarget(name: "FuzzRecord", samples: [encode(record)], run: decoding(FuzzRecord.self)),
            FuzzTarget(
                name: "[FuzzShape]",
                samples: [encode([FuzzShape.circle(center: FuzzPoint(x: 1, y: 2), radius: 3), .polygon([]), .empty])],
                run: decoding([FuzzShape].self)),
            FuzzTarget(name: "FuzzTree", samples: [encode(tree)], run: decoding(FuzzTree.self)),
            FuzzTarget(
                name: "String?", samples: [encode(String?.none), encode(String?.some("x"))], run: decoding(String?.self)
            ),
            FuzzTarget(name: "worker: task frame", samples: taskFrames(record), run: runTaskFrame, decodes: 1),
            FuzzTarget(name: "rank 0: reply frame", samples: replyFrames(), run: readReplyFrame, decodes: 1),
        ]
    }

    private static func taskFrames(_ record: FuzzRecord) -> [[UInt8]] {
        let name = FunctionLookup.name(of: FuzzEcho.self)
        var frames: [[UInt8]] = []
        for shape in [TaskShape.single, .chunk] {
            let frame = WireBuffer()
            FrameHeader(kind: .task, id: 9).write(into: frame)
            TaskFrame.write(pool: 1, shape: shape, functionTypeName: name, into: frame)
            try? WireEncoder.encode(FuzzEcho(prefix: ">"), into: frame)
            if shape == .single {
                try? WireEncoder.encode(record, into: frame)
            } else {
                try? WireEncoder.encode([record, record], into: frame)
            }
            frames.append(Array(frame.bytes))
        }
        return frames
    }

    /// One runner for the whole child process, as a worker has; only the fuzzer's one thread uses it.
    nonisolated(unsafe) private static let runner = TaskRunner(rank: 1, host: "fuzz")

    /// A worker's whole path for a frame from rank 0: header, task frame, function lookup, decode, call.
    private static func runTaskFrame(_ bytes: [UInt8]) {
        let frame = WireBuffer()
        bytes.withUnsafeBytes { frame.append($0) }
        guard let header = try? FrameHeader.read(from: frame.bytes) else { return }
        if header.kind == .pieces { _ = try? PiecesAnnouncement(from: frame.bytes) }
        _ = runner.handle(frame, header: header, attachment: nil)
    }

    private static func replyFrames() -> [[UInt8]] {
        let result = FrameEncoder.initialized(pool: 3)
        let failure = FrameEncoder.failure(.pool(PoolError(.timedOut, "late")), kind: .failure, id: 4)
        let value = (try? FrameEncoder.result(["a": 1], id: 5, what: "x")).map { Array($0.bytes.bytes) } ?? []
        return [Array(result.bytes.bytes), Array(failure.bytes.bytes), value]
    }

    /// Rank 0's path for a worker's reply: header, run time, then the payload as a result or a failure.
    private static func readReplyFrame(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard let header = try? FrameHeader.read(from: raw) else { return }
            _ = try? ReplyFrame.runTime(of: raw)
            guard raw.count >= ReplyFrame.payloadOffset else { return }
            let payload = UnsafeRawBufferPointer(rebasing: raw[ReplyFrame.payloadOffset...])
            if header.kind == .failure || header.kind == .initializerFailure {
                _ = try? WireDecoder.decode(TaskFailure.self, from: payload)
            } else {
                _ = try? WireDecoder.decode([String: Int].self, from: payload, attachment: nil)
            }
        }
    }
}
