#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

final class NextEntry {
    var offset: Int
    init(offset: Int) { self.offset = offset }
}

struct UnkeyedReader: UnkeyedDecodingContainer {
    let reader: ValueReader
    let header: ContainerHeader
    private var offset: Int
    private(set) var currentIndex = 0
    var codingPath: [any CodingKey] { [] }
    var count: Int? { header.count }
    var isAtEnd: Bool { currentIndex >= header.count }

    init(reader: ValueReader, header: ContainerHeader) {
        self.reader = reader
        self.header = header
        self.offset = header.start
    }

    private func checkNotAtEnd() throws {
        guard !isAtEnd else { throw reader.corrupted("unkeyed container has only \(header.count) values") }
        // Each entry takes at least a byte of the container's own.
        guard offset < header.end else { throw reader.corrupted("unkeyed container entries run past its end") }
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd()
        reader.cursor = offset
        guard try reader.bounded(by: header.end, { try reader.peekTag() }) == .nil else { return false }
        offset += 1
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd()
        reader.cursor = offset
        let value = try reader.bounded(by: header.end) { try reader.readValue(type) }
        offset = reader.cursor
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try checkNotAtEnd()
        reader.cursor = offset
        let end = try reader.bounded(by: header.end) { try reader.endOfValue(at: offset) }
        let container = try reader.container(keyedBy: type)
        offset = end
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkNotAtEnd()
        reader.cursor = offset
        let end = try reader.bounded(by: header.end) { try reader.endOfValue(at: offset) }
        let container = try reader.unkeyedContainer()
        offset = end
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        try checkNotAtEnd()
        let decoder = reader.child(at: offset)
        decoder.limit = header.end
        offset = try reader.bounded(by: header.end) { try reader.endOfValue(at: offset) }
        currentIndex += 1
        return decoder
    }
}

struct SingleValueReader: SingleValueDecodingContainer {
    let reader: ValueReader
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool {
        guard (try? reader.peekTag()) == .nil else { return false }
        reader.cursor += 1
        return true
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try reader.readValue(type) }
}
