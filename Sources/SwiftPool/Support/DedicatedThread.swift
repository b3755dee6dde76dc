#if canImport(Glibc)
    import Glibc
#endif

/// A plain OS thread, for the one thread per process that owns MPI: Swift concurrency would move
/// work between threads, and MPI must always be called from the same one.
///
/// `@unchecked Sendable`: a `pthread_t` is an id, and joining it from another thread is its use.
struct DedicatedThread: @unchecked Sendable {
    private let handle: pthread_t

    /// Starts `body` on a new thread with a large stack (tasks run on a worker's MPI thread).
    @discardableResult
    static func start(stackBytes: Int = 64 << 20, _ body: @escaping @Sendable () -> Void) -> DedicatedThread {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, stackBytes)
        defer { pthread_attr_destroy(&attributes) }
        var handle = pthread_t()
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        let result = pthread_create(
            &handle, &attributes,
            { context in
                let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
                box.body()
                return nil
            }, context)
        precondition(result == 0, "pthread_create failed with \(result)")
        return DedicatedThread(handle: handle)
    }

    func join() { pthread_join(handle, nil) }

    /// Lets the thread end on its own; nobody will join it.
    func detach() { pthread_detach(handle) }
}
