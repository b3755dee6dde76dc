#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Reads what ``WireEncoder`` wrote. Keyed values are found by key, in order when read in the
/// order written (the common case, one comparison each) and by a scan otherwise, so custom
/// `init(from:)` implementations that read out of order, skip keys or ask for `allKeys` work too.
enum WireDecoder {
    /// Decodes the whole of `bytes`, reading an attached array from `attachment`.
    static func decode<T: Decodable>(
        _ type: T.Type, from bytes: UnsafeRawBufferPointer, attachment: (any IncomingAttachment)?
    ) throws -> T {
        let reader = ValueReader(bytes: bytes)
        reader.attachment = attachment
        let value = try reader.readValue(type)
        guard reader.cursor == bytes.count else {
            throw reader.corrupted("\(bytes.count - reader.cursor) bytes left over after decoding \(T.self)")
        }
        return value
    }

    /// Decodes the whole of `buffer`, keeping the buffer alive while its bytes are read.
    static func decode<T: Decodable>(_ type: T.Type, from buffer: WireBuffer) throws -> T {
        try withExtendedLifetime(buffer) { try decode(type, from: buffer.bytes) }
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let reader = ValueReader(bytes: bytes)
        let value = try reader.readValue(type)
        guard reader.cursor == bytes.count else {
            throw reader.corrupted("\(bytes.count - reader.cursor) bytes left over after decoding \(T.self)")
        }
        return value
    }
}

/// The `Decoder` handed to `init(from:)`: a cursor over the encoded bytes.
final class ValueReader: Decoder {
    let bytes: UnsafeRawBufferPointer
    var cursor = 0
    /// Where an ``WireTag/attached`` array's bytes come from.
    var attachment: (any IncomingAttachment)?
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Where the value being read must end: the end of its container (every child stays inside
    /// its parent), or of the bytes.
    var limit: Int
    /// How many values are being read inside one another; past ``maximumDepth`` decoding stops.
    var depth: Int

    /// Deeper nesting is refused: a hostile frame could otherwise exhaust the stack.
    static let maximumDepth = 1000

    init(bytes: UnsafeRawBufferPointer, limit: Int? = nil, depth: Int = 0) {
        self.bytes = bytes
        self.limit = limit ?? bytes.count
        self.depth = depth
    }

    /// Runs `body` with reads confined to end at `end` (a container's end).
    func bounded<T>(by end: Int, _ body: () throws -> T) rethrows -> T {
        let saved = limit
        limit = min(limit, end)
        defer { limit = saved }
        return try body()
    }

    /// A reader for a `superDecoder`: same bytes, same bounds and depth, its own cursor.
    func child(at offset: Int) -> ValueReader {
        let reader = ValueReader(bytes: bytes, limit: limit, depth: depth)
        reader.cursor = offset
        reader.attachment = attachment
        return reader
    }

    /// Counts one more level of nesting for the length of `body`.
    func nested<T>(_ body: () throws -> T) throws -> T {
        guard depth < Self.maximumDepth else {
            throw corrupted("values nested more than \(Self.maximumDepth) deep at offset \(cursor)")
        }
        depth += 1
        defer { depth -= 1 }
        return try body()
    }

    func corrupted(_ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: message))
    }

    // MARK: Decoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try KeyedReader<Key>(reader: self, header: openContainer(.keyed)))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        UnkeyedReader(reader: self, header: try openContainer(.unkeyed))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValueReader(reader: self) }

    /// Reads a container header at the cursor; an `empty` slot reads as an empty container.
    func openContainer(_ expected: WireTag) throws -> ContainerHeader {
        let tag = try readTag()
        if tag == .empty { return ContainerHeader(count: 0, start: cursor, end: cursor) }
        guard tag == expected else { throw mismatch(expected: "\(expected) container", found: tag) }
        let count = Int(try readFixed(UInt32.self))
        let length = try readContainerLength()
        // Every entry takes at least one byte (a dictionary's, two): a count beyond that is a lie,
        // and must not reach a `reserveCapacity`.
        guard count <= (expected == .dictionary ? length / 2 : length) else {
            throw corrupted("a container claims \(count) entries in \(length) bytes")
        }
        return ContainerHeader(count: count, start: cursor, end: cursor + length)
    }
    // MARK: Values

    /// Reads one value at the cursor and leaves the cursor just past it, however much of it the
    /// type's own `init(from:)` chose to read.
    func readValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Int.self { return unsafeBitCast(try readInteger(Int.self), to: T.self) }
        if T.self == String.self { return unsafeBitCast(try readString(), to: T.self) }
        if T.self == Double.self { return unsafeBitCast(try readDouble(), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try readBool(), to: T.self) }
        if T.self == Float.self { return unsafeBitCast(try readFloat(), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try readInteger(Int64.self), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try readInteger(Int32.self), to: T.self) }
        if T.self == Int16.self { return unsafeBitCast(try readInteger(Int16.self), to: T.self) }
        if T.self == Int8.self { return unsafeBitCast(try readInteger(Int8.self), to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try readInteger(UInt.self), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try readInteger(UInt64.self), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try readInteger(UInt32.self), to: T.self) }
        if T.self == UInt16.self { return unsafeBitCast(try readInteger(UInt16.self), to: T.self) }
        if T.self == UInt8.self { return unsafeBitCast(try readInteger(UInt8.self), to: T.self) }
        if T.self == Data.self { return try readData() as! T }
        switch WireTypeKind.of(T.self) {
        case .plain, .argumentSlice: break
        case .rawArray:
            let arrayType = T.self as! any RawWireArray.Type
            let tag = try peekTag()
            if tag == .rawArray || tag == .attached { return try readRawArray(arrayType) as! T }
        case .optional:
            let optionalType = T.self as! any WireOptional.Type
            if try peekTag() == .nil {
                cursor += 1
                return optionalType.wrapping(nil) as! T
            }
            return optionalType.wrapping(try nested { try readValue(optionalType.wrappedType) }) as! T
        case .dictionary:
            let dictionaryType = T.self as! any WireDictionary.Type
            return try nested { try readDictionary(dictionaryType) } as! T
        }
        let end = try endOfValue(at: cursor)
        // The type's own `init(from:)` reads within the value's bytes, however it reads them.
        let value = try nested { try bounded(by: end) { try T(from: self) } }
        cursor = end
        return value
    }

    private func readDictionary<D: WireDictionary>(_ type: D.Type) throws -> D {
        let header = try openContainer(.dictionary)
        let result = try bounded(by: header.end) {
            try D.building(capacity: header.count) { (try readValue(D.keyType), try readValue(D.valueType)) }
        }
        guard cursor == header.end else { throw corrupted("dictionary entries do not fill their container") }
        return result
    }
}
