#if canImport(Glibc)
    import Glibc
#endif

/// Raises this process's soft limit on open descriptors to its hard limit, as Go's runtime does
/// at start-up. A parent holds two pipes per worker (its output and errors) and rank 0 a socket
/// per supervisor: with Debian's usual soft limit of 1,024, a plain start of 500 workers would
/// fail to start more with EMFILE while the hard limit (often 524,288) allows far more.
func raiseDescriptorLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
