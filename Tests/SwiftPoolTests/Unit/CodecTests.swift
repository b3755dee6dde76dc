import Foundation
import PropertyBased
import Testing

@testable import SwiftPool

/// Encodes with SwiftPool's wire codec and decodes the bytes back.
func roundTrip<T: Codable>(_ value: T, as type: T.Type = T.self) throws -> T {
    let buffer = try WireEncoder.encode(value)
    return try WireDecoder.decode(T.self, from: buffer)
}

struct Point: Codable, Hashable, Sendable {
    var x: Double
    var y: Double
}

enum Shape: Codable, Hashable, Sendable {
    case circle(center: Point, radius: Double)
    case polygon([Point])
    case empty
}

enum Color: String, Codable, Hashable, Sendable { case red, green }

struct Record: Codable, Hashable, Sendable {
    var id: Int
    var name: String
    var weights: [Double]
    var nickname: String?
    var tags: [String: Int]
    var shape: Shape
    var color: Color
    var small: Int8
    var big: UInt64
    var flag: Bool
    var nested: [[Int]]
    var optionalList: [Int?]
    var data: Data
    var ratio: Float
}

class Animal: Codable {
    var legs: Int
    init(legs: Int) { self.legs = legs }
}

final class Dog: Animal, @unchecked Sendable {
    var name: String
    init(name: String, legs: Int) {
        self.name = name
        super.init(legs: legs)
    }
    enum CodingKeys: String, CodingKey { case name }
    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        try super.init(from: container.superDecoder())
    }
    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try super.encode(to: container.superEncoder())
    }
}

/// Reads its keys in another order than it writes them, skips one, and lists them.
struct OutOfOrder: Codable, Equatable {
    var a: Int
    var b: String
    var c: [Int]
    var keysSeen: [String] = []
    enum CodingKeys: String, CodingKey { case a, b, c, ignored }

    init(a: Int, b: String, c: [Int]) {
        self.a = a
        self.b = b
        self.c = c
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(a, forKey: .a)
        try container.encode("skip me", forKey: .ignored)
        try container.encode(b, forKey: .b)
        try container.encode(c, forKey: .c)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        c = try container.decode([Int].self, forKey: .c)
        a = try container.decode(Int.self, forKey: .a)
        b = try container.decode(String.self, forKey: .b)
        keysSeen = container.allKeys.map(\.stringValue)
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.a == rhs.a && lhs.b == rhs.b && lhs.c == rhs.c }
}

/// Writes through nested containers, as hand-written Codable often does.
struct NestedWriter: Codable, Equatable {
    var inner: [String]
    var count: Int
    enum Outer: String, CodingKey { case box, count }
    enum Box: String, CodingKey { case items }

    init(inner: [String], count: Int) {
        self.inner = inner
        self.count = count
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Outer.self)
        var box = container.nestedContainer(keyedBy: Box.self, forKey: .box)
        var items = box.nestedUnkeyedContainer(forKey: .items)
        for item in inner { try items.encode(item) }
        try container.encode(count, forKey: .count)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Outer.self)
        let box = try container.nestedContainer(keyedBy: Box.self, forKey: .box)
        var items = try box.nestedUnkeyedContainer(forKey: .items)
        var inner: [String] = []
        while !items.isAtEnd { inner.append(try items.decode(String.self)) }
        self.inner = inner
        count = try container.decode(Int.self, forKey: .count)
    }
}

struct Empty: Codable, Equatable {}

struct WritesNothing: Codable, Equatable {
    init() {}
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
}

@Suite("wire codec")
struct CodecTests {
    let sample = Record(
        id: -42, name: "Zürich 🚀", weights: [1.5, -2.25, .infinity], nickname: nil, tags: ["a": 1, "b": 2],
        shape: .circle(center: Point(x: 1, y: 2), radius: 3), color: .green, small: -8, big: .max, flag: true,
        nested: [[1], [], [2, 3]], optionalList: [1, nil, 3], data: Data([0, 1, 255]), ratio: 0.25)

    @Test("a struct with every common field kind round-trips")
    func record() throws {
        #expect(try roundTrip(sample) == sample)
        var other = sample
        other.nickname = "n"
        other.shape = .polygon([Point(x: 0, y: 0), Point(x: 1, y: 1)])
        #expect(try roundTrip(other) == other)
        other.shape = .empty
        #expect(try roundTrip(other) == other)
    }

    @Test("top-level primitives, optionals and collections round-trip")
    func primitives() throws {
        #expect(try roundTrip(Int.min) == Int.min)
        #expect(try roundTrip(UInt8.max) == UInt8.max)
        #expect(try roundTrip("") == "")
        #expect(try roundTrip(Double.pi) == Double.pi)
        #expect(try roundTrip(Optional<Int>.none) == nil)
        #expect(try roundTrip(Optional(Optional(5))) == Optional(Optional(5)))
        let byNumber: [Int: String] = [3: "c", 1: "a"]
        #expect(try roundTrip(byNumber) == byNumber)
        #expect(try roundTrip(Set(["x", "y"])) == Set(["x", "y"]))
        #expect(try roundTrip([Point]()) == [])
        #expect(try roundTrip(NoArgument()) == NoArgument())
        #expect(try roundTrip(Empty()) == Empty())
        #expect(try roundTrip([WritesNothing(), WritesNothing()]) == [WritesNothing(), WritesNothing()])
    }

    @Test("a subclass written through superEncoder round-trips")
    func inheritance() throws {
        let dog = try roundTrip(Dog(name: "Rex", legs: 3))
        #expect(dog.name == "Rex")
        #expect(dog.legs == 3)
    }

    @Test("keys read out of order, skipped or listed are found")
    func outOfOrder() throws {
        let decoded = try roundTrip(OutOfOrder(a: 1, b: "two", c: [3]))
        #expect(decoded == OutOfOrder(a: 1, b: "two", c: [3]))
        #expect(decoded.keysSeen == ["a", "ignored", "b", "c"])
    }

    @Test("nested containers written after their parent's call round-trip")
    func nestedContainers() throws {
        let value = NestedWriter(inner: ["p", "q"], count: 2)
        #expect(try roundTrip(value) == value)
        #expect(try roundTrip([value, value]) == [value, value])
    }

    @Test("arrays of plain numbers travel as raw bytes")
    func rawArrays() throws {
        let doubles = (0..<1000).map { Double($0) / 3 }
        let buffer = try WireEncoder.encode(doubles)
        #expect(buffer.count == 1 + 1 + 8 + 1000 * 8)
        #expect(try WireDecoder.decode([Double].self, from: buffer) == doubles)
        #expect(try roundTrip([UInt8](repeating: 9, count: 17)) == [UInt8](repeating: 9, count: 17))
        #expect(try roundTrip([Bool]([true, false])) == [true, false])
        #expect(try roundTrip([Float]([1.5])) == [1.5])
        let slice = ArraySliceEncoding(slice: Array(0..<10)[3..<7])
        let sliceBytes = try WireEncoder.encode(slice)
        #expect(try WireDecoder.decode([Int].self, from: sliceBytes) == [3, 4, 5, 6])
        let structs = ArraySliceEncoding(slice: [Point(x: 1, y: 1), Point(x: 2, y: 2)][1...])
        #expect(try WireDecoder.decode([Point].self, from: WireEncoder.encode(structs)) == [Point(x: 2, y: 2)])
    }

    @Test("a large top-level array travels as an attachment, not in the frame")
    func attachments() throws {
        let values = (0..<100_000).map(Double.init)
        let frame = WireBuffer()
        let attachment = try #require(try ValueWriter(buffer: frame).writeTopLevel(values))
        #expect(frame.count == 1 + 1 + 8)
        #expect(attachment.count == values.count * 8)
        let incoming = LocalAttachment(attachment)
        #expect(try WireDecoder.decode([Double].self, from: frame.bytes, attachment: incoming) == values)
        #expect(incoming.isConsumed)
        let small = WireBuffer()
        #expect(try ValueWriter(buffer: small).writeTopLevel([1.0, 2.0]) == nil)
        #expect(throws: (any Error).self) { try WireDecoder.decode([Double].self, from: frame.bytes, attachment: nil) }
    }

    @Test("a mismatched or damaged input gives a clear decoding error, never a crash")
    func badInput() throws {
        let buffer = try WireEncoder.encode("text")
        #expect(throws: DecodingError.self) { try WireDecoder.decode(Int.self, from: buffer) }
        let big = try WireEncoder.encode(300)
        #expect(throws: DecodingError.self) { try WireDecoder.decode(UInt8.self, from: big) }
        let record = try WireEncoder.encode(sample)
        for cut in stride(from: 0, to: record.count - 1, by: 7) {
            withExtendedLifetime(record) {
                let truncated = UnsafeRawBufferPointer(rebasing: record.bytes[0..<cut])
                #expect(throws: (any Error).self) { try WireDecoder.decode(Record.self, from: truncated) }
            }
        }
        let missingKey = try WireEncoder.encode(Point(x: 1, y: 2))
        struct Other: Codable { var z: Int }
        #expect(throws: DecodingError.self) { try WireDecoder.decode(Other.self, from: missingKey) }
    }

    @Test("random records round-trip")
    func randomRecords() async {
        let records = zip(
            Gen.int(), Gen.letterOrNumber.string(of: 0...12), Gen.double(in: -1e9...1e9).array(of: 0...6),
            Gen.letterOrNumber.string(of: 1...4).optional, Gen.int(in: -5...5).array(of: 0...4),
            Gen.bool, Gen.int8(), Gen.uint64()
        ).map { id, name, weights, nickname, numbers, flag, small, big in
            Record(
                id: id, name: name, weights: weights, nickname: nickname,
                tags: Dictionary(uniqueKeysWithValues: numbers.enumerated().map { ("k\($0.offset)", $0.element) }),
                shape: flag
                    ? .polygon(weights.map { Point(x: $0, y: -$0) }) : .circle(center: Point(x: 0, y: 1), radius: 2),
                color: flag ? .red : .green, small: small, big: big, flag: flag, nested: [numbers, numbers.reversed()],
                optionalList: numbers.map { $0 > 0 ? $0 : nil }, data: Data(name.utf8), ratio: Float(small) / 2)
        }
        await propertyCheck(count: 300, input: records) { record in
            do { #expect(try roundTrip(record) == record) } catch { Issue.record(error) }
        }
    }

    @Test("random strings, including any Unicode, round-trip")
    func randomStrings() async {
        // Every Unicode scalar but the surrogate range, which holds no characters.
        let characters = Gen.oneOf(
            Gen.character(in: "\u{0}"..."\u{D7FF}"), Gen.character(in: "\u{E000}"..."\u{10FFFF}"))
        let strings = characters.string(of: 0...40)
        await propertyCheck(count: 300, input: strings) { text in
            do {
                #expect(try roundTrip(text) == text)
                #expect(try roundTrip([text: [text]]) == [text: [text]])
            } catch {
                Issue.record(error)
            }
        }
    }
}
