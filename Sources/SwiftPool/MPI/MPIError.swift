internal import CMPI

/// A failed MPI call: the routine that failed, its return code and MPI's own words for it.
struct MPIError: Error, CustomStringConvertible {
    var routine: String
    var code: Int32
    var text: String

    var description: String { "\(routine) failed with MPI error \(code): \(text)" }
}

/// Runs one MPI routine and turns a return code other than `MPI_SUCCESS` into an ``MPIError``
/// that names the routine, so no return code is ever dropped.
@inline(__always)
func mpiCall(_ routine: StaticString, _ body: () -> Int32) throws(MPIError) {
    let code = body()
    if code != MPI_SUCCESS {
        throw MPIError(routine: "\(routine)", code: code, text: mpiErrorString(code))
    }
}

func mpiErrorString(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(code, &buffer, &length) == MPI_SUCCESS else { return "unknown error" }
    return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
