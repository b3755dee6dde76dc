import Foundation
import Synchronization
import Testing

@testable import SwiftPool

/// The reproducers of the fuzz campaign of issue 11: each crashed a process, allocated gigabytes
/// or ran for seconds. Each must now throw a clean decoding error, at once.
@Suite("hostile bytes")
struct HostileBytesTests {
    private func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ input: [UInt8], attachment: [UInt8]? = nil) throws -> T {
        let local = attachment.map { bytes -> LocalAttachment in
            let buffer = WireBuffer()
            bytes.withUnsafeBytes { buffer.append($0) }
            return LocalAttachment(buffer)
        }
        return try input.withUnsafeBytes { try WireDecoder.decode(T.self, from: $0, attachment: local) }
    }

    @Test("1. a container length of 2^63 is refused before it becomes an Int")
    func hugeContainerLength() {
        #expect(throws: DecodingError.self) { try decode(Point.self, bytes("09 00000000 0000000000000080")) }
        #expect(throws: DecodingError.self) { try decode([String].self, bytes("0a 00000000 0000000000000080")) }
        #expect(throws: DecodingError.self) { try decode([String: Int].self, bytes("0b 00000000 0000000000000080")) }
    }

    @Test("2. a dictionary's entry count is checked against its bytes before any capacity is reserved")
    func dictionaryCount() {
        #expect(throws: DecodingError.self) { try decode([String: [Int]].self, bytes("0b ffffffff 0000000000000000")) }
        #expect(throws: DecodingError.self) { try decode([String: [Int]].self, bytes("0b 00000008 0000000000000000")) }
    }

    @Test("3. an attached array's element count is matched with the attachment's size before allocating")
    func attachedCount() {
        #expect(throws: DecodingError.self) {
            try decode([Double].self, bytes("0e 0c 0000000010000000"), attachment: [UInt8](repeating: 0, count: 64))
        }
        #expect(throws: DecodingError.self) {
            try decode([Double].self, bytes("0e 0c 0000000010000000"), attachment: [UInt8](repeating: 0, count: 64))
        }
        // The honest count still decodes.
        #expect(
            (try? decode([Double].self, bytes("0e 0c 0800000000000000"), attachment: [UInt8](repeating: 0, count: 64)))
                == Array(repeating: 0, count: 8))
    }

    @Test("4. an unkeyed container's count reaches init(from:) only when its bytes can hold it")
    func unkeyedCount() {
        #expect(throws: DecodingError.self) { try decode(Reserving.self, bytes("0a ffffffff 0000000000000000")) }
        #expect(throws: DecodingError.self) { try decode([Int].self, bytes("0a ffffffff 0000000000000000")) }
    }

    @Test("5. a function name the Swift runtime would choke on is an unknown function type")
    func badFunctionNames() throws {
        let runner = TaskRunner(rank: 1, host: "test")
        for name in ["$", "$0", "$9", "$D", "$n", "\u{1}\u{2}\u{3}\u{4}", "_$s", ""] {
            let frame = WireBuffer()
            FrameHeader(kind: .task, id: 7).write(into: frame)
            TaskFrame.write(pool: 1, shape: .single, functionTypeName: name, into: frame)
            let header = try FrameHeader.read(from: frame.bytes)
            let reply = try #require(runner.handle(frame, header: header, attachment: nil))
            let failure = try WireDecoder.decode(
                TaskFailure.self, from: UnsafeRawBufferPointer(rebasing: reply.bytes.bytes[ReplyFrame.payloadOffset...])
            )
            #expect((failure.error as? PoolError)?.code == .unknownFunctionType, "name \(name.debugDescription)")
        }
        #expect(FunctionLookup.isWellFormed(FunctionLookup.name(of: Doubler.self).utf8))
    }

    @Test("6a. children stay inside their parent: containers that claim no bytes cannot be read again and again")
    func zeroLengthContainers() throws {
        var tree = Tree.leaf(1)
        for _ in 0..<40 { tree = .node([tree, .leaf(2)]) }
        var encoded = Array(try WireEncoder.encode(tree).bytes)
        // Every container claims to hold nothing.
        for offset in containerHeaders(in: encoded) {
            for index in 0..<8 { encoded[offset + 5 + index] = 0 }
        }
        let started = ContinuousClock.now
        #expect(throws: DecodingError.self) { try decode(Tree.self, encoded) }
        #expect(ContinuousClock.now - started < .milliseconds(100))
    }

    @Test("6b. nesting past 1,000 levels is refused instead of overflowing the stack")
    func deepNesting() throws {
        // On a thread with a big stack: encoding 15,000 levels recurses that deep.
        let outcome = Mutex<String>("")
        DedicatedThread.start(stackBytes: 512 << 20) {
            var tree = Tree.leaf(1)
            for _ in 0..<15_000 { tree = .node([tree]) }
            do {
                let encoded = try WireEncoder.encode(tree)
                _ = try WireDecoder.decode(Tree.self, from: encoded)
                outcome.withLock { $0 = "decoded" }
            } catch {
                outcome.withLock { $0 = "\(error)" }
            }
        }.join()
        #expect(outcome.withLock { $0 }.contains("nested more than 1000 deep"))
        var shallow = Tree.leaf(1)
        for _ in 0..<200 { shallow = .node([shallow]) }
        #expect(try WireDecoder.decode(Tree.self, from: try WireEncoder.encode(shallow)) == shallow)
    }

    @Test("a raw Bool byte other than 0 or 1 is refused")
    func rawBools() throws {
        #expect(throws: DecodingError.self) { try decode([Bool].self, bytes("0c 0d 0100000000000000 02")) }
        #expect(try decode([Bool].self, bytes("0c 0d 0200000000000000 0100")) == [true, false])
        #expect(throws: DecodingError.self) {
            try decode([Bool].self, bytes("0e 0d 0100000000000000"), attachment: [7])
        }
    }

    /// The offsets of the keyed, unkeyed and dictionary headers in an encoding, found by walking it.
    private func containerHeaders(in bytes: [UInt8]) -> [Int] {
        var found: [Int] = []
        func walk(_ offset: Int) -> Int {
            let tag = bytes[offset]
            switch tag {
            case 0, 1, 2, 13: return offset + 1
            case 3, 4, 6: return offset + 9
            case 5: return offset + 5
            case 7, 8:
                var cursor = offset + 1
                var length = 0
                var shift = 0
                while true {
                    let byte = Int(bytes[cursor])
                    cursor += 1
                    length |= (byte & 0x7f) << shift
                    if byte & 0x80 == 0 { break }
                    shift += 7
                }
                return cursor + length
            case 9, 10, 11:
                found.append(offset)
                let count = bytes[(offset + 1)..<(offset + 5)].reversed().reduce(0) { $0 << 8 | Int($1) }
                var cursor = offset + 13
                for _ in 0..<(tag == 11 ? 2 * count : count) {
                    if tag == 9 {
                        let keyLength = Int(bytes[cursor])
                        cursor += 1 + keyLength
                    }
                    cursor = walk(cursor)
                }
                return cursor
            case 12:
                let count = bytes[(offset + 2)..<(offset + 10)].reversed().reduce(0) { $0 << 8 | Int($1) }
                return offset + 10 + count * (rawWireElementSize(kind: bytes[offset + 1]) ?? 0)
            default: return bytes.count
            }
        }
        _ = walk(0)
        return found
    }
}

/// A recursive type, the shape of the exponential-time reproducer.
indirect enum Tree: Codable, Equatable {
    case leaf(Int)
    case node([Tree])
}

/// Reserves what its unkeyed container's count claims, as swift-collections' `Deque` does.
struct Reserving: Decodable {
    var values: [Int] = []

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        values.reserveCapacity(container.count ?? 0)
        while !container.isAtEnd { values.append(try container.decode(Int.self)) }
    }
}
