/// The values shared with pools that rank 0's scheduler holds, by id, until they are forgotten:
/// each is sent to a worker before its first task that names it.
struct SharedValueBook {
    private(set) var records: [UInt64: SharedValueRecord] = [:]
    /// How many are released and wait for their last task.
    private(set) var releasedCount = 0
    /// When the released values are next checked against the tasks that still name them.
    var nextScan: UInt64 = 0

    var isEmpty: Bool { records.isEmpty }

    subscript(id: UInt64) -> SharedValueRecord? { records[id] }

    mutating func keep(_ plan: SharedValuePlan) { records[plan.id] = SharedValueRecord(plan: plan) }

    /// Marks a value released; true when it was held and not released before.
    mutating func release(_ id: UInt64) -> Bool {
        guard let record = records[id], !record.isReleased else { return false }
        record.isReleased = true
        releasedCount += 1
        return true
    }

    /// Drops a value; returns it if it was held.
    mutating func remove(_ id: UInt64) -> SharedValueRecord? {
        guard let record = records.removeValue(forKey: id) else { return nil }
        if record.isReleased { releasedCount -= 1 }
        return record
    }

    /// Why a task cannot run, if it names a value no longer held: one released between the
    /// task's submit and its turn.
    func missingValue(in task: QueuedTask) -> PoolError? {
        for id in task.sharedValues where records[id] == nil {
            return PoolError(
                .invalidArgument, "the task holds shared value #\(id), which was released before the task ran")
        }
        return nil
    }
}

/// A shared value as rank 0's scheduler holds it: its share frame, until it is forgotten.
final class SharedValueRecord {
    let plan: SharedValuePlan
    var isReleased = false

    init(plan: SharedValuePlan) {
        self.plan = plan
    }
}
