internal import CMPI

#if canImport(Glibc)
    import Glibc
#endif

extension Communicator {
    /// `MPI_COMM_SELF`.
    static var selfOnly: Communicator { Communicator(raw: cmpi_comm_self()) }

    /// `MPI_Comm_get_parent`: the intercommunicator to the process that spawned this one, or nil
    /// when this process was started some other way (MPI 4.0 §11.8.2).
    static func parent() throws(MPIError) -> Communicator? {
        var handle: MPI_Comm? = nil
        try mpiCall("MPI_Comm_get_parent") { MPI_Comm_get_parent(&handle) }
        guard let handle, handle != cmpi_comm_null() else { return nil }
        return Communicator(raw: handle)
    }

    /// `MPI_Comm_set_errhandler(MPI_ERRORS_RETURN)`: failures come back as return codes.
    func returnErrors() throws(MPIError) {
        try mpiCall("MPI_Comm_set_errhandler") { MPI_Comm_set_errhandler(raw, cmpi_errors_return()) }
    }

    /// `MPI_Comm_spawn` from this communicator's rank 0: starts `count` copies of `command` with
    /// `arguments` and returns the intercommunicator to them (MPI 4.0 §11.8.2).
    func spawn(command: String, arguments: [String], count: Int) throws(MPIError) -> Communicator {
        var intercommunicator: MPI_Comm? = nil
        var errorCodes = [Int32](repeating: 0, count: count)
        // C strings that live until the call returns; argv ends with a null pointer.
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { Glibc.free(argument) } }
        var argv = cArguments
        let code = command.withCString { path in
            argv.withUnsafeMutableBufferPointer { argvBuffer in
                MPI_Comm_spawn(
                    path, argvBuffer.baseAddress, Int32(count), cmpi_info_null(), 0, raw, &intercommunicator,
                    &errorCodes)
            }
        }
        try mpiCall("MPI_Comm_spawn") { code }
        if let failed = errorCodes.first(where: { $0 != MPI_SUCCESS }) {
            throw MPIError(routine: "MPI_Comm_spawn", code: failed, text: mpiErrorString(failed))
        }
        return Communicator(raw: intercommunicator!)
    }

    /// `MPI_Intercomm_merge`: one intracommunicator over both groups of an intercommunicator;
    /// the group that passes `high: false` gets the low ranks (MPI 4.0 §7.6.2).
    func mergeIntercommunicator(high: Bool) throws(MPIError) -> Communicator {
        var merged: MPI_Comm? = nil
        try mpiCall("MPI_Intercomm_merge") { MPI_Intercomm_merge(raw, high ? 1 : 0, &merged) }
        return Communicator(raw: merged!)
    }

    /// `MPI_Comm_disconnect`: waits for pending traffic, then frees the communicator.
    func disconnect() throws(MPIError) {
        var handle: MPI_Comm? = raw
        try mpiCall("MPI_Comm_disconnect") { MPI_Comm_disconnect(&handle) }
    }
}
