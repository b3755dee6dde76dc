#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Where a container's entries lie.
struct ContainerHeader {
    var count: Int
    var start: Int
    var end: Int
}

struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let reader: ValueReader
    let header: ContainerHeader
    /// Where the entry after the last one read starts: the first place to look for the next key.
    /// A reference, because keyed decoding methods are not `mutating`.
    private let position: NextEntry
    var codingPath: [any CodingKey] { [] }

    init(reader: ValueReader, header: ContainerHeader) {
        self.reader = reader
        self.header = header
        self.position = NextEntry(offset: header.start)
    }

    /// The key bytes at `offset` compared with `key`, and where the entry's value starts.
    private func keyMatches(_ key: String, at offset: Int) throws -> (matches: Bool, valueStart: Int) {
        reader.cursor = offset
        let length = try reader.readLength()
        let stored = UnsafeRawBufferPointer(rebasing: reader.bytes[reader.cursor..<reader.cursor + length])
        let valueStart = reader.cursor + length
        var key = key
        let matches = key.withUTF8 { utf8 in
            utf8.count == length && (length == 0 || memcmp(utf8.baseAddress!, stored.baseAddress!, length) == 0)
        }
        return (matches, valueStart)
    }

    /// The start of the value stored under `key`, or nil when the container has no such key.
    private func valueStart(of key: Key) throws -> Int? { try valueStart(named: key.stringValue) }

    private func valueStart(named name: String) throws -> Int? {
        if position.offset < header.end {
            let (matches, start) = try keyMatches(name, at: position.offset)
            if matches { return start }
        }
        var offset = header.start
        while offset < header.end {
            let (matches, start) = try keyMatches(name, at: offset)
            if matches { return start }
            offset = try reader.bounded(by: header.end) { try reader.endOfValue(at: start) }
        }
        return nil
    }

    private func keyNotFound(_ key: Key) -> DecodingError {
        DecodingError.keyNotFound(
            key, .init(codingPath: [], debugDescription: "no value for key \"\(key.stringValue)\""))
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        var offset = header.start
        while offset < header.end {
            reader.cursor = offset
            guard let name = try? reader.readUTF8(), let end = try? reader.endOfValue(at: reader.cursor) else { break }
            if let key = Key(stringValue: name) { keys.append(key) }
            offset = end
        }
        return keys
    }

    func contains(_ key: Key) -> Bool { (try? valueStart(of: key)) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let start = try valueStart(of: key) else { return true }
        reader.cursor = start
        if try reader.peekTag() == .nil {
            position.offset = start + 1
            return true
        }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        guard let start = try valueStart(of: key) else { throw keyNotFound(key) }
        reader.cursor = start
        let value = try reader.bounded(by: header.end) { try reader.readValue(type) }
        position.offset = reader.cursor
        return value
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let start = try valueStart(of: key) else { return nil }
        reader.cursor = start
        if try reader.peekTag() == .nil {
            position.offset = start + 1
            return nil
        }
        let value = try reader.bounded(by: header.end) { try reader.readValue(type) }
        position.offset = reader.cursor
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        guard let start = try valueStart(of: key) else { throw keyNotFound(key) }
        position.offset = try reader.bounded(by: header.end) { try reader.endOfValue(at: start) }
        reader.cursor = start
        return try reader.container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        guard let start = try valueStart(of: key) else { throw keyNotFound(key) }
        position.offset = try reader.bounded(by: header.end) { try reader.endOfValue(at: start) }
        reader.cursor = start
        return try reader.unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let start = try valueStart(named: "super") else { throw reader.corrupted("no value for key \"super\"") }
        return try superDecoder(at: start)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        guard let start = try valueStart(of: key) else { throw keyNotFound(key) }
        return try superDecoder(at: start)
    }

    private func superDecoder(at start: Int) throws -> any Decoder {
        position.offset = try reader.endOfValue(at: start)
        let decoder = reader.child(at: start)
        decoder.limit = header.end
        return decoder
    }
}
