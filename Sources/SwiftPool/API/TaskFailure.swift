/// Why a task produced no result, as it travels from the worker in a failure frame.
enum TaskFailure: Error, Codable {
    case remote(RemoteError)
    case pool(PoolError)

    var error: any Error {
        switch self {
        case .remote(let error): error
        case .pool(let error): error
        }
    }
}
