#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// SwiftPool's binary `Codable` encoder: compact, tagged (see ``WireTag``), with raw-byte fast
/// paths for `String`, `Data` and arrays of plain numbers.
///
/// It writes one stream in call order, like every streaming binary coder: a type may not write
/// to two sibling containers alternately (synthesized `Codable` never does).
enum WireEncoder {
    /// Appends `value` to `buffer`.
    static func encode<T: Encodable>(_ value: T, into buffer: WireBuffer) throws {
        try ValueWriter(buffer: buffer).writeValue(value)
    }

    /// `value` alone, as a new buffer.
    static func encode<T: Encodable>(_ value: T) throws -> WireBuffer {
        let buffer = WireBuffer()
        try encode(value, into: buffer)
        return buffer
    }
}

/// The `Encoder` handed to `encode(to:)`. One writer serves a whole value tree.
final class ValueWriter: Encoder {
    let buffer: WireBuffer
    /// The container a super-encoder or nested container writes on behalf of, if any.
    var enclosing: OpenContainer?
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// The shared values whose handles this value tree holds, when the caller wants to know.
    let sharedValues: SharedValueLog?

    init(buffer: WireBuffer, enclosing: OpenContainer? = nil, sharedValues: SharedValueLog? = nil) {
        self.buffer = buffer
        self.enclosing = enclosing
        self.sharedValues = sharedValues
    }

    /// Called by ``Shared`` as it writes its handle.
    func noteShared(_ value: any SharedValueIdentity) { sharedValues?.values.append(value) }

    // MARK: Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWriter<Key>(writer: self, container: openContainer(.keyed)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedWriter(writer: self, container: openContainer(.unkeyed))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueWriter(writer: self) }

    func openContainer(_ tag: WireTag) -> OpenContainer {
        buffer.append(tag.rawValue)
        let container = OpenContainer(headerOffset: buffer.count, parent: enclosing)
        buffer.append(UInt32(0))
        buffer.append(UInt64(0))
        enclosing?.didGrow(buffer)
        return container
    }

    // MARK: Values

    @inline(__always) func writeTag(_ tag: WireTag) { buffer.append(tag.rawValue) }

    func writeInt(_ value: Int64) {
        let start = buffer.extend(by: 9)
        start.storeBytes(of: WireTag.int.rawValue, as: UInt8.self)
        (start + 1).storeBytes(of: value.littleEndian, toByteOffset: 0, as: Int64.self)
    }

    func writeUInt(_ value: UInt64) {
        let start = buffer.extend(by: 9)
        start.storeBytes(of: WireTag.uint.rawValue, as: UInt8.self)
        (start + 1).storeBytes(of: value.littleEndian, toByteOffset: 0, as: UInt64.self)
    }

    func writeDouble(_ value: Double) {
        writeTag(.double)
        buffer.append(value.bitPattern)
    }

    func writeFloat(_ value: Float) {
        writeTag(.float)
        buffer.append(value.bitPattern)
    }

    func writeBool(_ value: Bool) { writeTag(value ? .true : .false) }

    func writeString(_ value: String) {
        writeTag(.string)
        buffer.appendUTF8(value)
    }

    func writeUTF8(_ value: String) { buffer.appendUTF8(value) }

    func writeData(_ value: Data) {
        writeTag(.bytes)
        buffer.appendLength(value.count)
        value.withUnsafeBytes { buffer.append($0) }
    }

    /// Writes any value: primitives and the fast-path types directly, everything else through its
    /// own `encode(to:)`. Exact type comparisons come first because they cost a pointer compare,
    /// where a protocol cast costs a runtime conformance lookup.
    func writeValue<T: Encodable>(_ value: T) throws {
        if T.self == Int.self { return writeInt(Int64(unsafeBitCast(value, to: Int.self))) }
        if T.self == String.self { return writeString(unsafeBitCast(value, to: String.self)) }
        if T.self == Double.self { return writeDouble(unsafeBitCast(value, to: Double.self)) }
        if T.self == Bool.self { return writeBool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Float.self { return writeFloat(unsafeBitCast(value, to: Float.self)) }
        if T.self == Int64.self { return writeInt(unsafeBitCast(value, to: Int64.self)) }
        if T.self == Int32.self { return writeInt(Int64(unsafeBitCast(value, to: Int32.self))) }
        if T.self == Int16.self { return writeInt(Int64(unsafeBitCast(value, to: Int16.self))) }
        if T.self == Int8.self { return writeInt(Int64(unsafeBitCast(value, to: Int8.self))) }
        if T.self == UInt.self { return writeUInt(UInt64(unsafeBitCast(value, to: UInt.self))) }
        if T.self == UInt64.self { return writeUInt(unsafeBitCast(value, to: UInt64.self)) }
        if T.self == UInt32.self { return writeUInt(UInt64(unsafeBitCast(value, to: UInt32.self))) }
        if T.self == UInt16.self { return writeUInt(UInt64(unsafeBitCast(value, to: UInt16.self))) }
        if T.self == UInt8.self { return writeUInt(UInt64(unsafeBitCast(value, to: UInt8.self))) }
        if T.self == Data.self { return writeData(value as! Data) }
        switch WireTypeKind.of(T.self) {
        case .plain: break
        case .rawArray: return (value as! any RawWireWritable).writeRaw(into: buffer)
        case .argumentSlice:
            if let raw = (value as! any RawWireSliceEncoding).rawSlice { return raw.writeRaw(into: buffer) }
        case .optional:
            if let wrapped = (value as! any WireOptional).wrappedValue { return try writeValue(wrapped) }
            return writeTag(.nil)
        case .dictionary:
            let saved = enclosing
            enclosing = nil
            defer { enclosing = saved }
            return try writeDictionary(value as! any WireDictionary)
        }
        let saved = enclosing
        enclosing = nil
        defer { enclosing = saved }
        let start = buffer.count
        try value.encode(to: self)
        // A type that writes nothing still occupies a slot, so readers stay aligned.
        if buffer.count == start { writeTag(.empty) }
    }

    /// Writes a frame's top-level value. A large array of plain numbers is not copied: the frame
    /// gets a placeholder and the array comes back to be sent as the frame's attachment.
    func writeTopLevel<T: Encodable>(_ value: T) throws -> OutgoingAttachment? {
        let raw: (any RawWireWritable)? =
            switch WireTypeKind.of(T.self) {
            case .rawArray: value as? any RawWireWritable
            case .argumentSlice: (value as? any RawWireSliceEncoding)?.rawSlice
            default: nil
            }
        guard let raw, raw.rawShape.bytes >= attachmentThreshold else {
            try writeValue(value)
            return nil
        }
        let shape = raw.rawShape
        writeTag(.attached)
        buffer.append(shape.kind)
        buffer.append(UInt64(shape.count))
        return raw.attachment()
    }

    private func writeDictionary(_ dictionary: WireDictionary) throws {
        let container = openContainer(.dictionary)
        try dictionary.writePairs { key, value in
            try writeValue(key)
            try writeValue(value)
            try container.didAddEntry(in: buffer)
        }
    }
}
