import Synchronization

/// The encoded bytes of function types without stored properties. Such a value has no state, so
/// its encoding never changes: it is made once per type and copied into every task frame after.
enum FunctionEncodingCache {
    private static let encodings = Mutex<[ObjectIdentifier: [UInt8]]>([:])

    static func write<F: RemoteFunction>(_ function: F, with writer: ValueWriter) throws {
        guard MemoryLayout<F>.size == 0 else { return try writer.writeValue(function) }
        let id = ObjectIdentifier(F.self)
        if let bytes = encodings.withLock({ $0[id] }) {
            bytes.withUnsafeBytes { writer.buffer.append($0) }
            return
        }
        let start = writer.buffer.count
        try writer.writeValue(function)
        let bytes = Array(UnsafeRawBufferPointer(rebasing: writer.buffer.bytes[start...]))
        encodings.withLock { $0[id] = bytes }
    }
}
