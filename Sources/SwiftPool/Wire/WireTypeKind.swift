import Synchronization

/// Which of the codec's special paths a type takes. Asking Swift whether a type conforms to a
/// protocol costs a runtime lookup each time; a plain struct would pay four of them per value,
/// so the answer is remembered per type.
enum WireTypeKind {
    /// An array or slice of plain numbers: raw bytes.
    case rawArray
    /// A slice of arguments wrapped for a chunk.
    case argumentSlice
    /// An optional: a presence tag, then the value.
    case optional
    /// A dictionary: key/value pairs.
    case dictionary
    /// Anything else: its own `encode(to:)` / `init(from:)`.
    case plain

    private static let known = Mutex<[ObjectIdentifier: WireTypeKind]>([:])

    static func of(_ type: Any.Type) -> WireTypeKind {
        let id = ObjectIdentifier(type)
        if let kind = known.withLock({ $0[id] }) { return kind }
        let kind: WireTypeKind =
            switch type {
            case is any RawWireWritable.Type: .rawArray
            case is any RawWireSliceEncoding.Type: .argumentSlice
            case is any WireOptional.Type: .optional
            case is any WireDictionary.Type: .dictionary
            default: .plain
            }
        known.withLock { $0[id] = kind }
        return kind
    }
}
