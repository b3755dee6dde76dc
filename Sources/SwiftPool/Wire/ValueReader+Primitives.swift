#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Reading fixed-size values, lengths, strings and raw arrays at the cursor.
extension ValueReader {

    func need(_ count: Int) throws {
        guard count >= 0, count <= limit - cursor else {
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

    /// A container's UInt64 byte length, checked against the bytes left before it becomes an `Int`.
    func readContainerLength() throws -> Int {
        let length = try readFixed(UInt64.self)
        guard length <= UInt64(limit - cursor) else {
            throw corrupted("a container of \(length) bytes runs past the end of the data at offset \(cursor)")
        }
        return Int(length)
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
        guard result <= UInt64(limit - cursor) else {
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
        if kind == Bool.wireKind {
            try Self.checkBools(UnsafeRawBufferPointer(start: bytes.baseAddress! + cursor, count: byteCount))
        }
        guard let array = A.readRaw(kind: kind, count: Int(clamping: count), bytes: bytes.baseAddress! + cursor) else {
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
        guard let size = rawWireElementSize(kind: kind) else { throw corrupted("unknown attached array kind \(kind)") }
        // Matched with the attachment's real size before anything is allocated.
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: size)
        let actual = try attachment.byteCount()
        guard !overflow, byteCount == actual else {
            throw corrupted(
                "an attached array of \(count) elements of \(size) bytes does not fit its \(actual)-byte attachment")
        }
        let fill = { (destination: UnsafeMutableRawBufferPointer) throws in
            try attachment.fill(destination)
            if kind == Bool.wireKind { try Self.checkBools(UnsafeRawBufferPointer(destination)) }
        }
        guard let array = try A.receiving(kind: kind, count: count, fill: fill) else {
            throw corrupted("attached array kind \(kind) does not match \(A.self)")
        }
        return array
    }

    /// A raw `Bool` is one byte, 0 or 1; any other byte would make an invalid `Bool`.
    static func checkBools(_ bytes: UnsafeRawBufferPointer) throws {
        guard let bad = bytes.firstIndex(where: { $0 > 1 }) else { return }
        throw DecodingError.dataCorrupted(
            .init(codingPath: [], debugDescription: "a raw Bool holds the byte \(bytes[bad]) at element \(bad)"))
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
            cursor += try readContainerLength()
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
}
