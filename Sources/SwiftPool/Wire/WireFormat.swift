#if canImport(Glibc)
    import Glibc
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The codec's value tags. Every encoded value starts with one, so a reader can skip any value
/// without knowing its type; containers also carry their byte length, so skipping one is O(1).
///
/// Layout (all integers little-endian):
/// - `nil`, `false`, `true`, `empty`: the tag alone
/// - `int`, `uint`, `double`: 8 bytes; `float`: 4 bytes
/// - `string`, `bytes`: a LEB128 length, then the bytes
/// - `keyed`, `unkeyed`, `dictionary`: a UInt32 entry count and a UInt64 byte length of what follows,
///   then the entries (keyed: LEB128 key length, key UTF-8, value; dictionary: key value, value)
/// - `rawArray`: a ``RawWireElement`` kind byte, a UInt64 element count, then the elements' bytes
/// - `attached`: a kind byte and a UInt64 count; the elements' bytes are the frame's attachment
enum WireTag: UInt8 {
    case `nil` = 0
    case `false`, `true`, int, uint, float, double, string, bytes
    case keyed, unkeyed, dictionary, rawArray, empty
    /// A raw array whose bytes are the frame's attachment: kind byte and UInt64 count follow.
    case attached
}

/// Container header size after the tag: entry count (4) + byte length (8).
let containerHeaderSize = 12

/// A number type whose arrays travel as their raw bytes, one `memcpy` each way.
protocol RawWireElement: BitwiseCopyable, Codable {
    static var wireKind: UInt8 { get }
}

extension Int: RawWireElement { static var wireKind: UInt8 { 1 } }
extension Int8: RawWireElement { static var wireKind: UInt8 { 2 } }
extension Int16: RawWireElement { static var wireKind: UInt8 { 3 } }
extension Int32: RawWireElement { static var wireKind: UInt8 { 4 } }
extension Int64: RawWireElement { static var wireKind: UInt8 { 5 } }
extension UInt: RawWireElement { static var wireKind: UInt8 { 6 } }
extension UInt8: RawWireElement { static var wireKind: UInt8 { 7 } }
extension UInt16: RawWireElement { static var wireKind: UInt8 { 8 } }
extension UInt32: RawWireElement { static var wireKind: UInt8 { 9 } }
extension UInt64: RawWireElement { static var wireKind: UInt8 { 10 } }
extension Float: RawWireElement { static var wireKind: UInt8 { 11 } }
extension Double: RawWireElement { static var wireKind: UInt8 { 12 } }
extension Bool: RawWireElement { static var wireKind: UInt8 { 13 } }

/// A collection of plain numbers that the codec writes as raw bytes (``WireTag/rawArray``).
protocol RawWireWritable {
    func writeRaw(into buffer: WireBuffer)
    /// The element kind, the element count and the size in bytes.
    var rawShape: (kind: UInt8, count: Int, bytes: Int) { get }
    /// The bytes, kept alive, to send as an attachment.
    func attachment() -> OutgoingAttachment
}

/// An array that the codec reads from raw bytes.
protocol RawWireArray: RawWireWritable {
    /// A new array of `count` elements whose bytes `fill` writes in place (an MPI receive).
    static func receiving(
        kind: UInt8, count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws -> Self?
    static func readRaw(kind: UInt8, count: Int, bytes: UnsafeRawPointer) -> Self?
}

extension Array: RawWireWritable where Element: RawWireElement {
    func writeRaw(into buffer: WireBuffer) { self[...].writeRaw(into: buffer) }
    var rawShape: (kind: UInt8, count: Int, bytes: Int) { self[...].rawShape }
    func attachment() -> OutgoingAttachment { self[...].attachment() }
}

extension Array: RawWireArray where Element: RawWireElement {
    static func readRaw(kind: UInt8, count: Int, bytes: UnsafeRawPointer) -> Self? {
        guard kind == Element.wireKind else { return nil }
        return Array(unsafeUninitializedCapacity: count) { storage, initialized in
            UnsafeMutableRawPointer(storage.baseAddress!)
                .copyMemory(from: bytes, byteCount: count * MemoryLayout<Element>.stride)
            initialized = count
        }
    }

    static func receiving(
        kind: UInt8, count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void
    ) throws -> Self? {
        guard kind == Element.wireKind else { return nil }
        return try Array(unsafeUninitializedCapacity: count) { storage, initialized in
            let bytes = UnsafeMutableRawBufferPointer(storage)
            preferHugePages(bytes)
            try fill(bytes)
            initialized = count
        }
    }
}

extension ArraySlice: RawWireWritable where Element: RawWireElement {
    var rawShape: (kind: UInt8, count: Int, bytes: Int) {
        (Element.wireKind, count, count * MemoryLayout<Element>.stride)
    }

    func attachment() -> OutgoingAttachment {
        // The slice is kept with the pointer: its storage stays put while the slice is held.
        withUnsafeBytes {
            OutgoingAttachment(owner: self, base: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: $0.count)
        }
    }

    func writeRaw(into buffer: WireBuffer) {
        buffer.append(WireTag.rawArray.rawValue)
        buffer.append(Element.wireKind)
        buffer.append(UInt64(count))
        withUnsafeBytes { buffer.append($0) }
    }
}

/// A slice of arguments encoded exactly as an array of them, so a chunk of a larger array
/// travels without first being copied into an array of its own.
struct ArraySliceEncoding<Element: Encodable>: Encodable {
    var slice: ArraySlice<Element>

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for element in slice { try container.encode(element) }
    }
}

/// Asks the kernel to back a large, not yet touched allocation with 2 MiB pages: filling 256 MiB
/// through 4 KiB pages costs 65,536 page faults, which took longer than the MPI transfer itself.
func preferHugePages(_ bytes: UnsafeMutableRawBufferPointer) {
    let hugePage = 2 << 20
    guard bytes.count >= 2 * hugePage, let base = bytes.baseAddress else { return }
    let start = (Int(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
    let end = (Int(bitPattern: base) + bytes.count) & ~(hugePage - 1)
    guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
    _ = madvise(aligned, end - start, MADV_HUGEPAGE)
}

/// The element size of a raw array kind, or nil for an unknown kind.
func rawWireElementSize(kind: UInt8) -> Int? {
    switch kind {
    case 2, 7, 13: 1
    case 3, 8: 2
    case 4, 9, 11: 4
    case 1, 5, 6, 10, 12: 8
    default: nil
    }
}

/// Optional values carry their own presence tag, whatever container they sit in.
protocol WireOptional {
    var wrappedValue: (any Encodable)? { get }
    static var wrappedType: any Decodable.Type { get }
    static func wrapping(_ value: Any?) -> Self
}

extension Optional: WireOptional where Wrapped: Codable {
    var wrappedValue: (any Encodable)? { self.map { $0 } }
    static var wrappedType: any Decodable.Type { Wrapped.self }
    static func wrapping(_ value: Any?) -> Self { value.map { $0 as! Wrapped } }
}

/// Dictionaries travel as key/value pairs, whatever their key type, so decoding keeps the order
/// and needs no key lookup.
protocol WireDictionary {
    func writePairs(_ write: (any Encodable, any Encodable) throws -> Void) rethrows
    static var keyType: any Decodable.Type { get }
    static var valueType: any Decodable.Type { get }
    static func building(capacity: Int, _ read: () throws -> (Any, Any)) rethrows -> Self
}

extension Dictionary: WireDictionary where Key: Codable, Value: Codable {
    func writePairs(_ write: (any Encodable, any Encodable) throws -> Void) rethrows {
        for (key, value) in self { try write(key, value) }
    }
    static var keyType: any Decodable.Type { Key.self }
    static var valueType: any Decodable.Type { Value.self }
    static func building(capacity: Int, _ read: () throws -> (Any, Any)) rethrows -> Self {
        var result = Self(minimumCapacity: capacity)
        for _ in 0..<capacity {
            let (key, value) = try read()
            result[key as! Key] = (value as! Value)
        }
        return result
    }
}

/// A wrapper the program never wrote, named in errors as what it wraps.
protocol ShownAsArgument {
    static var shownName: String { get }
}

extension ArraySliceEncoding: ShownAsArgument {
    /// A chunk of a `map`: its items, as the program's own type.
    static var shownName: String { "a chunk of [\(Element.self)]" }
}

/// Lets the encoder see through ``ArraySliceEncoding`` to the raw fast path.
protocol RawWireSliceEncoding {
    var rawSlice: (any RawWireWritable)? { get }
}

extension ArraySliceEncoding: RawWireSliceEncoding {
    var rawSlice: (any RawWireWritable)? { slice as? any RawWireWritable }
}
