/// The pool errors for values that could not be encoded or decoded, and any error as a pool error.
func decodingFailed(_ what: String, _ error: any Error) -> PoolError {
    PoolError(.decodingFailed, "\(what) could not be decoded: \(describeCodingError(error))")
}

func encodingFailed(_ what: String, _ error: any Error) -> PoolError {
    if let error = error as? PoolError, error.code == .payloadTooLarge {
        return PoolError(.payloadTooLarge, "\(what) cannot be sent: \(error.message)")
    }
    return PoolError(.encodingFailed, "\(what) could not be encoded: \(describeCodingError(error))")
}

/// A one-line account of a coding error, without the nested dumps of the default description.
func describeCodingError(_ error: any Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let context): context.debugDescription
    case DecodingError.keyNotFound(let key, let context): "\(context.debugDescription) (key \(key.stringValue))"
    case DecodingError.typeMismatch(_, let context): context.debugDescription
    case DecodingError.valueNotFound(_, let context): context.debugDescription
    case EncodingError.invalidValue(_, let context): context.debugDescription
    default: String(describing: error)
    }
}

/// Any error as a pool error, keeping pool errors as they are.
func asPoolError(_ error: any Error) -> PoolError {
    switch error {
    case let error as PoolError: error
    case let error as MPIError: PoolError(.mpiFailure, error.description)
    default: PoolError(.protocolViolation, String(describing: error))
    }
}
