#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: ValueWriter
    let container: OpenContainer
    var codingPath: [any CodingKey] { [] }

    private func writeKey(_ key: Key) { writer.writeUTF8(key.stringValue) }

    private func finishEntry() throws { try container.didAddEntry(in: writer.buffer) }

    private func finishEntryWithoutThrowing() { container.didAddEntryWithoutThrowing(in: writer.buffer) }

    mutating func encodeNil(forKey key: Key) throws {
        writeKey(key)
        writer.writeTag(.nil)
        try finishEntry()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        writeKey(key)
        writer.writeBool(value)
        try finishEntry()
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        writeKey(key)
        writer.writeString(value)
        try finishEntry()
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        writeKey(key)
        writer.writeDouble(value)
        try finishEntry()
    }

    mutating func encode(_ value: Int, forKey key: Key) throws {
        writeKey(key)
        writer.writeInt(Int64(value))
        try finishEntry()
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        writeKey(key)
        try writer.writeValue(value)
        try finishEntry()
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        writeKey(key)
        let nested = ValueWriter(buffer: writer.buffer, enclosing: container, sharedValues: writer.sharedValues)
        let result = nested.container(keyedBy: keyType)
        finishEntryWithoutThrowing()
        return result
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        writeKey(key)
        let nested = ValueWriter(buffer: writer.buffer, enclosing: container, sharedValues: writer.sharedValues)
        let result = nested.unkeyedContainer()
        finishEntryWithoutThrowing()
        return result
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKeyString: "super") }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(forKeyString: key.stringValue) }

    private mutating func superEncoder(forKeyString key: String) -> any Encoder {
        writer.writeUTF8(key)
        finishEntryWithoutThrowing()
        return ValueWriter(buffer: writer.buffer, enclosing: container, sharedValues: writer.sharedValues)
    }
}
