extension MPIPoolExecutor {
    /// Shares a read-only value with this pool's workers: each worker receives it at most once,
    /// just before the first task there that holds the returned handle, and keeps it until the
    /// pool shuts down or ``release(_:)`` lets it go.
    ///
    /// Sending is lazy: a worker that never runs such a task never receives the value. The value
    /// is encoded once, here; a large array of plain numbers is sent from its own storage.
    ///
    /// - Throws: ``PoolError`` when the pool is shut down or broken, when the value cannot be
    ///   encoded, or when its type cannot be found by name in a worker (a `private` or
    ///   function-local type).
    public func share<Value: Codable & Sendable>(_ value: Value) throws -> Shared<Value> {
        try checkAcceptsWork("share a value")
        let typeName = try SharedValueTypes.checkFindable(Value.self)
        let sharedID = runtime.makeSharedValueID()
        let frame = try FrameEncoder.share(value, id: sharedID, pool: id, typeName: typeName)
        let storage = SharedStorage(id: sharedID, pool: id, value: value)
        SharedValueStore.keep(.value(storage), id: sharedID)
        runtime.inbox.post(
            .share(SharedValuePlan(id: sharedID, pool: id, frame: frame)))
        return Shared(storage: storage)
    }

    /// Lets a shared value go: tasks submitted from now on may not hold it, and once the tasks
    /// already submitted with it are done, the workers drop it. The handle's own ``Shared/value``
    /// still works here. Releasing again does nothing.
    ///
    /// - Throws: ``PoolError/Code/invalidArgument`` when the value was shared with another pool.
    public func release<Value>(_ shared: Shared<Value>) throws {
        guard shared.storage.pool == id else {
            throw PoolError(
                .invalidArgument,
                "\(shared) cannot be released by pool \(id): it belongs to pool \(shared.storage.pool)")
        }
        if shared.storage.markReleased() { runtime.inbox.post(.releaseShared(shared.storage.id)) }
    }

    /// The error for a task whose handles name a value this pool cannot send, if any.
    func misusedSharedValue(in values: [any SharedValueIdentity]) -> PoolError? {
        for value in values {
            if value.pool != id {
                return PoolError(
                    .invalidArgument,
                    "the task holds shared value #\(value.id) of pool \(value.pool), but was given to pool \(id); "
                        + "share the value with the pool that runs the task")
            }
            if value.isReleased {
                return PoolError(
                    .invalidArgument, "the task holds shared value #\(value.id), which was released; share it again")
            }
        }
        return nil
    }
}
