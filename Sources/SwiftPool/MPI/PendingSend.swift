internal import CMPI

/// An `MPI_Isend` in flight. It owns the memory being sent so the memory outlives the send; the
/// owner must keep it until ``isComplete()`` says MPI is done (MPI 4.0 §3.7.3).
final class PendingSend {
    private var request: MPI_Request?
    private let owner: AnyObject

    init(request: MPI_Request, owner: AnyObject) {
        self.request = request
        self.owner = owner
    }

    /// `MPI_Test`: whether the send has completed. Completed sends release their request.
    func isComplete() throws(MPIError) -> Bool {
        guard request != nil else { return true }
        var flag: Int32 = 0
        try mpiCall("MPI_Test") { MPI_Test(&request, &flag, cmpi_status_ignore()) }
        if flag != 0 { request = nil }
        return flag != 0
    }

    /// `MPI_Wait`: blocks until the send has completed.
    func wait() throws(MPIError) {
        guard request != nil else { return }
        try mpiCall("MPI_Wait") { MPI_Wait(&request, cmpi_status_ignore()) }
        request = nil
    }
}
