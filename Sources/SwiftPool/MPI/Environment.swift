internal import CMPI

/// The thread support MPI granted at initialization (MPI 4.0 §11.6).
enum ThreadLevel: Int32, Comparable, CustomStringConvertible {
    case single, funneled, serialized, multiple

    init(raw: Int32) {
        switch raw {
        case Int32(MPI_THREAD_MULTIPLE): self = .multiple
        case Int32(MPI_THREAD_SERIALIZED): self = .serialized
        case Int32(MPI_THREAD_FUNNELED): self = .funneled
        default: self = .single
        }
    }

    var rawMPIValue: Int32 {
        switch self {
        case .single: Int32(MPI_THREAD_SINGLE)
        case .funneled: Int32(MPI_THREAD_FUNNELED)
        case .serialized: Int32(MPI_THREAD_SERIALIZED)
        case .multiple: Int32(MPI_THREAD_MULTIPLE)
        }
    }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    var description: String {
        switch self {
        case .single: "MPI_THREAD_SINGLE"
        case .funneled: "MPI_THREAD_FUNNELED"
        case .serialized: "MPI_THREAD_SERIALIZED"
        case .multiple: "MPI_THREAD_MULTIPLE"
        }
    }
}

/// MPI's process-wide environment (MPI 4.0 §11.2): initialization, finalization and queries.
/// Every call here must come from the one thread that owns MPI.
enum MPIEnvironment {
    /// `MPI_Init_thread`: returns the thread level actually granted.
    static func initialize(requesting level: ThreadLevel) throws(MPIError) -> ThreadLevel {
        var provided: Int32 = 0
        try mpiCall("MPI_Init_thread") { MPI_Init_thread(nil, nil, level.rawMPIValue, &provided) }
        return ThreadLevel(raw: provided)
    }

    /// `MPI_Finalize`.
    static func finalize() throws(MPIError) {
        try mpiCall("MPI_Finalize") { MPI_Finalize() }
    }

    /// `MPI_Abort` on `MPI_COMM_WORLD`: ends every process of the job.
    static func abort(code: Int32) -> Never {
        MPI_Abort(cmpi_comm_world(), code)
        fatalError("MPI_Abort returned")
    }
}
