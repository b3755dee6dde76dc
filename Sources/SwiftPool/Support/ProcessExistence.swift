#if canImport(Glibc)
    import Glibc
#endif

/// Whether the process `processID` no longer exists: ended and reaped by its parent (each parent
/// here reaps its workers the moment they end, on a thread of its own). A process that is not
/// this one's child can be asked too, which is how rank 0 watches a worker its supervisor started.
func processHasEnded(_ processID: pid_t) -> Bool {
    kill(processID, 0) == -1 && errno == ESRCH
}
