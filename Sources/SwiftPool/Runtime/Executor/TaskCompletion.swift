/// What a worker sent back for a task.
enum TaskReply {
    /// The encoded result (the frame after its header), and where its attached array comes from.
    case result(UnsafeRawBufferPointer, (any IncomingAttachment)?)
    case failure(TaskFailure)
}

/// The receiving end of a task on rank 0: the executor loop tells it when the task starts and
/// how it ended. A ``Future`` is one; so is each chunk of a `map`.
protocol TaskCompletion: AnyObject, Sendable {
    /// Moves the task to running; false when it was cancelled while queued, so it must not run.
    func markRunning() -> Bool
    /// Settles the task with what the worker sent. Returns false, leaving the task unsettled, when
    /// the reply's attachment cannot arrive because its sender died while sending it.
    func complete(with reply: TaskReply) -> Bool
    /// Settles the task with a pool-level failure.
    func fail(_ error: PoolError)
    /// Cancels the task if it has not started (`Future.cancel()`).
    @discardableResult func cancel() -> Bool
}

extension Future: TaskCompletion where Value: Decodable {
    func complete(with reply: TaskReply) -> Bool {
        switch reply {
        case .result(let payload, let attachment):
            do {
                resolve(.success(try WireDecoder.decode(Value.self, from: payload, attachment: attachment)))
            } catch is PeerGone {
                return false
            } catch {
                resolve(.failure(decodingFailed("the result (\(Value.self))", error)))
            }
        case .failure(let failure):
            resolve(.failure(failure.error))
        }
        return true
    }

    func fail(_ error: PoolError) { resolve(.failure(error)) }
}
