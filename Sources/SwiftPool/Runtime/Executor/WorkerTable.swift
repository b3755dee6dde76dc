/// Rank 0's workers by slot, with what the scheduler asks of them on every pass kept ready: the
/// least busy ready worker (found in time that does not grow with the number of workers), and
/// how many workers are starting, alive, serving or still running initializers.
///
/// Every change to a record goes through the slot subscript, which keeps those figures in step;
/// the table holds no task and sends nothing.
struct WorkerTable: RandomAccessCollection {
    private var records: [WorkerRecord] = []
    private(set) var slotByRank: [Int: Int] = [:]
    /// Ready workers by how many tasks they hold: `readyByLoad[k]` has the slots of those
    /// holding k (below ``maxLoad``).
    private var readyByLoad: [SlotBitmap]
    private(set) var counts = Counts()
    /// The most tasks one worker may hold at once.
    let maxLoad: Int
    /// Slots whose worker is lost and waits to be replaced.
    var awaitingReplacement: [Int] = []
    /// Supervisors lost (their MPI ranks): their workers cannot be replaced.
    var lostSupervisors: Set<Int> = []
    /// Slots free for a retiring worker's replacement: their retired worker ended, and its own
    /// replacement runs elsewhere.
    var spareSlots: [Int] = []
    /// Every worker lost so far, in order.
    var losses: [WorkerLoss] = []
    /// The rank the next worker started gets.
    var nextRank = 1

    /// How many workers are in each state that the scheduler's loop asks about.
    struct Counts: Equatable {
        var starting = 0
        var ready = 0
        /// Ready or retiring: running or about to run tasks.
        var serving = 0
        var alive = 0
        /// Alive and not already replaced (a retiring worker's replacement stands in for it).
        var aliveNotReplaced = 0
        /// Alive and reached through a supervisor over MPI rather than memory shared with rank 0.
        var relayed = 0
        /// Waiting for an initializer's answer.
        var initializing = 0
    }

    init(maxLoad: Int) {
        self.maxLoad = maxLoad
        readyByLoad = Array(repeating: SlotBitmap(), count: maxLoad)
    }

    var startIndex: Int { 0 }
    var endIndex: Int { records.count }

    /// The worker in a slot. Changing it updates the table's counts and index.
    subscript(slot: Int) -> WorkerRecord {
        get { records[slot] }
        _modify {
            let before = Summary(records[slot])
            yield &records[slot]
            reindex(slot, from: before)
        }
    }

    /// Adds a worker in a new slot at the end, or in `slot`, replacing the record there. A record
    /// placed lost only holds a slot (a retiring worker's replacement starts there): its rank
    /// still finds the slot it had.
    mutating func place(_ worker: WorkerRecord, in slot: Int) {
        if slot == records.count {
            records.append(worker)
            Summary(worker).add(to: &counts, sign: 1)
            updateLoadList(slot, from: nil)
        } else {
            self[slot] = worker
        }
        if worker.phase != .lost { slotByRank[worker.rank] = slot }
    }

    /// The slot of a worker by rank, while that worker still holds it.
    func slot(ofRank rank: Int) -> Int? {
        guard let slot = slotByRank[rank], records[slot].rank == rank else { return nil }
        return slot
    }

    /// The least busy ready worker holding fewer than `load` tasks, if any (the lowest slot of
    /// those): found in time that does not grow with the number of workers, bar one summary
    /// word per 4,096.
    func leastBusyReady(below load: Int) -> Int? {
        for k in 0..<Swift.min(load, maxLoad) {
            if let slot = readyByLoad[k].first { return slot }
        }
        return nil
    }

    // MARK: Keeping the counts and the index in step

    /// What of a record the counts and the index depend on.
    private struct Summary {
        var phase: WorkerRecord.Phase
        var load: Int
        var initializing: Bool
        var isReplaced: Bool
        var relayed: Bool

        init(_ worker: WorkerRecord) {
            phase = worker.phase
            load = worker.tasks.count
            initializing = !worker.pools.pendingInitializers.isEmpty
            isReplaced = worker.history.isReplaced
            relayed = worker.source != 0
        }

        var inLoadList: Bool { phase == .ready }

        func add(to counts: inout Counts, sign: Int) {
            if phase == .starting { counts.starting += sign }
            if phase == .ready { counts.ready += sign }
            if phase == .ready || phase == .retiring { counts.serving += sign }
            guard phase != .lost else { return }
            counts.alive += sign
            if !isReplaced { counts.aliveNotReplaced += sign }
            if relayed { counts.relayed += sign }
            if initializing { counts.initializing += sign }
        }
    }

    private mutating func reindex(_ slot: Int, from before: Summary) {
        let after = Summary(records[slot])
        before.add(to: &counts, sign: -1)
        after.add(to: &counts, sign: 1)
        if before.inLoadList != after.inLoadList || before.load != after.load { updateLoadList(slot, from: before) }
    }

    /// Moves a slot to the load list its record belongs in now (none when it is not ready or is
    /// full).
    private mutating func updateLoadList(_ slot: Int, from before: Summary?) {
        if let before, before.inLoadList, before.load < maxLoad { readyByLoad[before.load].remove(slot) }
        let after = Summary(records[slot])
        if after.inLoadList, after.load < maxLoad { readyByLoad[after.load].insert(slot) }
    }
}
