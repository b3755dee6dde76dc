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

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

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
        let length = Int(try readFixed(UInt64.self))
        guard length <= bytes.count - cursor else { throw corrupted("container runs past the end of the data") }
        return ContainerHeader(count: count, start: cursor, end: cursor + length)
    }

    // MARK: Primitives

    func need(_ count: Int) throws {
        guard count <= bytes.count - cursor else {
            throw corrupted("unexpected end of data: need \(count) bytes at offset \(cursor)")
        }
    }

    func readTag() throws -> WireTag {
        try need(1)
        let raw = bytes[cursor]
        guard let tag = WireTag(rawValue: raw) else { throw corrupted("unknown value tag \(raw) at offset \(cursor)") }
        cursor += 1
        return tag
    }

    func peekTag() throws -> WireTag {
        let tag = try readTag()
        cursor -= 1
        return tag
    }

    func readFixed<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        try need(MemoryLayout<T>.size)
        let value = bytes.loadUnaligned(fromByteOffset: cursor, as: T.self)
        cursor += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    func readLength() throws -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            try need(1)
            let byte = bytes[cursor]
            cursor += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 64 else { throw corrupted("length prefix too long at offset \(cursor)") }
        }
        guard result <= UInt64(bytes.count - cursor) else {
            throw corrupted("length \(result) runs past the end of the data")
        }
        return Int(result)
    }

    func mismatch(expected: String, found tag: WireTag) -> DecodingError {
        DecodingError.typeMismatch(
            Any.self,
            .init(codingPath: [], debugDescription: "expected \(expected), found \(tag) at offset \(cursor - 1)"))
    }

    func readInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let tag = try readTag()
        switch tag {
        case .int:
            let value = try readFixed(Int64.self)
            guard let result = T(exactly: value) else { throw corrupted("\(value) does not fit in \(T.self)") }
            return result
        case .uint:
            let value = try readFixed(UInt64.self)
            guard let result = T(exactly: value) else { throw corrupted("\(value) does not fit in \(T.self)") }
            return result
        default: throw mismatch(expected: "\(T.self)", found: tag)
        }
    }

    func readDouble() throws -> Double {
        let tag = try readTag()
        switch tag {
        case .double: return Double(bitPattern: try readFixed(UInt64.self))
        case .float: return Double(Float(bitPattern: try readFixed(UInt32.self)))
        default: throw mismatch(expected: "Double", found: tag)
        }
    }

    func readFloat() throws -> Float {
        let tag = try readTag()
        switch tag {
        case .float: return Float(bitPattern: try readFixed(UInt32.self))
        case .double: return Float(Double(bitPattern: try readFixed(UInt64.self)))
        default: throw mismatch(expected: "Float", found: tag)
        }
    }

    func readBool() throws -> Bool {
        let tag = try readTag()
        switch tag {
        case .true: return true
        case .false: return false
        default: throw mismatch(expected: "Bool", found: tag)
        }
    }

    func readString() throws -> String {
        let tag = try readTag()
        guard tag == .string else { throw mismatch(expected: "String", found: tag) }
        return try readUTF8()
    }

    func readUTF8() throws -> String {
        let length = try readLength()
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[cursor..<cursor + length])
        cursor += length
        return String(decoding: utf8, as: UTF8.self)
    }

    func readData() throws -> Data {
        let tag = try readTag()
        guard tag == .bytes else { throw mismatch(expected: "Data", found: tag) }
        let length = try readLength()
        let data = Data(bytes: bytes.baseAddress! + cursor, count: length)
        cursor += length
        return data
    }

    func readRawArray<A: RawWireArray>(_ type: A.Type) throws -> A {
        let tag = try readTag()
        if tag == .attached { return try readAttachedArray(type) }
        guard tag == .rawArray else { throw mismatch(expected: "\(A.self)", found: tag) }
        try need(9)
        let kind = bytes[cursor]
        cursor += 1
        let count = try readFixed(UInt64.self)
        guard let size = rawWireElementSize(kind: kind) else { throw corrupted("unknown array element kind \(kind)") }
        let (byteCount, overflow) = Int(clamping: count).multipliedReportingOverflow(by: size)
        guard !overflow else { throw corrupted("array of \(count) elements is too large") }
        try need(byteCount)
        guard let array = A.readRaw(kind: kind, count: Int(count), bytes: bytes.baseAddress! + cursor) else {
            throw corrupted("array element kind \(kind) does not match \(A.self)")
        }
        cursor += byteCount
        return array
    }

    private func readAttachedArray<A: RawWireArray>(_ type: A.Type) throws -> A {
        try need(9)
        let kind = bytes[cursor]
        cursor += 1
        let count = Int(clamping: try readFixed(UInt64.self))
        guard let attachment else { throw corrupted("an attached array arrived without its attachment") }
        guard let size = rawWireElementSize(kind: kind), count.multipliedReportingOverflow(by: size).overflow == false
        else {
            throw corrupted("unknown attached array kind \(kind)")
        }
        guard let array = try A.receiving(kind: kind, count: count, fill: { try attachment.fill($0) }) else {
            throw corrupted("attached array kind \(kind) does not match \(A.self)")
        }
        return array
    }

    /// Where the value starting at `offset` ends, without decoding it.
    func endOfValue(at offset: Int) throws -> Int {
        let saved = cursor
        defer { cursor = saved }
        cursor = offset
        switch try readTag() {
        case .nil, .false, .true, .empty: break
        case .int, .uint, .double:
            try need(8)
            cursor += 8
        case .float:
            try need(4)
            cursor += 4
        case .string, .bytes: cursor += try readLength()
        case .keyed, .unkeyed, .dictionary:
            _ = try readFixed(UInt32.self)
            let length = Int(try readFixed(UInt64.self))
            try need(length)
            cursor += length
        case .attached:
            try need(9)
            cursor += 9
        case .rawArray:
            try need(9)
            let kind = bytes[cursor]
            cursor += 1
            let count = Int(clamping: try readFixed(UInt64.self))
            guard let size = rawWireElementSize(kind: kind) else {
                throw corrupted("unknown array element kind \(kind)")
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw corrupted("array of \(count) elements is too large") }
            try need(byteCount)
            cursor += byteCount
        }
        return cursor
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
            return optionalType.wrapping(try readValue(optionalType.wrappedType)) as! T
        case .dictionary:
            let dictionaryType = T.self as! any WireDictionary.Type
            return try readDictionary(dictionaryType) as! T
        }
        let end = try endOfValue(at: cursor)
        let value = try T(from: self)
        cursor = end
        return value
    }

    private func readDictionary<D: WireDictionary>(_ type: D.Type) throws -> D {
        let header = try openContainer(.dictionary)
        let result = try D.building(capacity: header.count) {
            (try readValue(D.keyType), try readValue(D.valueType))
        }
        guard cursor == header.end else { throw corrupted("dictionary entries do not fill their container") }
        return result
    }
}

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
            offset = try reader.endOfValue(at: start)
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
        let value = try reader.readValue(type)
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
        let value = try reader.readValue(type)
        position.offset = reader.cursor
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        guard let start = try valueStart(of: key) else { throw keyNotFound(key) }
        position.offset = try reader.endOfValue(at: start)
        reader.cursor = start
        return try reader.container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        guard let start = try valueStart(of: key) else { throw keyNotFound(key) }
        position.offset = try reader.endOfValue(at: start)
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
        let decoder = ValueReader(bytes: reader.bytes)
        decoder.cursor = start
        return decoder
    }
}

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
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd()
        reader.cursor = offset
        guard try reader.peekTag() == .nil else { return false }
        offset += 1
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd()
        reader.cursor = offset
        let value = try reader.readValue(type)
        offset = reader.cursor
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try checkNotAtEnd()
        reader.cursor = offset
        let end = try reader.endOfValue(at: offset)
        let container = try reader.container(keyedBy: type)
        offset = end
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkNotAtEnd()
        reader.cursor = offset
        let end = try reader.endOfValue(at: offset)
        let container = try reader.unkeyedContainer()
        offset = end
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        try checkNotAtEnd()
        let decoder = ValueReader(bytes: reader.bytes)
        decoder.cursor = offset
        offset = try reader.endOfValue(at: offset)
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
