#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct UnkeyedWriter: UnkeyedEncodingContainer {
    let writer: ValueWriter
    let container: OpenContainer
    var codingPath: [any CodingKey] { [] }
    var count: Int { Int(container.count) }

    mutating func encodeNil() throws {
        writer.writeTag(.nil)
        try container.didAddEntry(in: writer.buffer)
    }

    mutating func encode(_ value: Int) throws {
        writer.writeInt(Int64(value))
        try container.didAddEntry(in: writer.buffer)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try writer.writeValue(value)
        try container.didAddEntry(in: writer.buffer)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let result = ValueWriter(buffer: writer.buffer, enclosing: container, sharedValues: writer.sharedValues)
            .container(keyedBy: keyType)
        container.didAddEntryWithoutThrowing(in: writer.buffer)
        return result
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let result = ValueWriter(buffer: writer.buffer, enclosing: container, sharedValues: writer.sharedValues)
            .unkeyedContainer()
        container.didAddEntryWithoutThrowing(in: writer.buffer)
        return result
    }

    mutating func superEncoder() -> any Encoder {
        container.didAddEntryWithoutThrowing(in: writer.buffer)
        return ValueWriter(buffer: writer.buffer, enclosing: container, sharedValues: writer.sharedValues)
    }
}

struct SingleValueWriter: SingleValueEncodingContainer {
    let writer: ValueWriter
    var codingPath: [any CodingKey] { [] }

    private func grew() { writer.enclosing?.didGrow(writer.buffer) }

    mutating func encodeNil() throws {
        writer.writeTag(.nil)
        grew()
    }

    mutating func encode(_ value: Bool) throws {
        writer.writeBool(value)
        grew()
    }

    mutating func encode(_ value: String) throws {
        writer.writeString(value)
        grew()
    }

    mutating func encode(_ value: Double) throws {
        writer.writeDouble(value)
        grew()
    }

    mutating func encode(_ value: Int) throws {
        writer.writeInt(Int64(value))
        grew()
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try writer.writeValue(value)
        grew()
    }
}
