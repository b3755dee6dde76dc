import Testing

@testable import SwiftPool
@testable import SwiftPoolFuzz

/// The worker table alone, no process: the index of free workers and the counts agree with the
/// records however they change, and picking a worker finds the least busy ready one.
@Suite("Worker table")
struct WorkerTableTests {
    private static func worker(rank: Int, phase: WorkerRecord.Phase = .ready) -> WorkerRecord {
        var record = WorkerRecord(rank: rank, channel: 0, source: 0, host: "h", processID: 0, isReplacement: false)
        record.phase = phase
        return record
    }

    private static func task(_ id: UInt64) -> QueuedTask {
        QueuedTask(id: id, pool: 1, frame: FrameEncoder.forgetShared(id: id), completion: Future<Int>(tracker: nil))
    }

    @Test("the least busy ready worker is picked; starting, retiring and full workers never are")
    func picksLeastBusy() {
        var table = WorkerTable(maxLoad: 2)
        for slot in 0..<4 { table.place(Self.worker(rank: slot + 1, phase: slot == 3 ? .starting : .ready), in: slot) }
        #expect(table.counts.ready == 3 && table.counts.starting == 1 && table.counts.alive == 4)
        table[0].tasks.append(Self.task(1))
        table[1].tasks.append(Self.task(2))
        #expect(table.leastBusyReady(below: 2) == 2)
        table[2].phase = .retiring
        #expect(table.counts.serving == 3 && table.counts.ready == 2)
        let busy = table.leastBusyReady(below: 2)
        #expect(busy == 0 || busy == 1)
        #expect(table.leastBusyReady(below: 1) == nil)
        table[0].tasks.append(Self.task(3))
        table[1].tasks.append(Self.task(4))
        #expect(table.leastBusyReady(below: 2) == nil)
        table[1].tasks.removeFirst()
        #expect(table.leastBusyReady(below: 2) == 1)
        table[3].phase = .ready
        #expect(table.leastBusyReady(below: 2) == 3)
    }

    @Test("a replacement takes over its slot; the old rank no longer finds it")
    func replacementTakesSlot() {
        var table = WorkerTable(maxLoad: 4)
        table.place(Self.worker(rank: 1), in: 0)
        table[0].phase = .lost
        #expect(table.counts.alive == 0 && table.leastBusyReady(below: 4) == nil)
        table.place(Self.worker(rank: 2, phase: .starting), in: 0)
        #expect(table.slot(ofRank: 1) == nil && table.slot(ofRank: 2) == 0)
        #expect(table.counts.alive == 1 && table.counts.starting == 1)
    }

    @Test("after 20,000 random changes the index and counts match a recount of the records")
    func randomChangesAgree() {
        // Seeded (the fuzzer's SplitMix64), so a failure can be replayed.
        var generator = SeededGenerator(seed: 19)
        let maxLoad = 4
        var table = WorkerTable(maxLoad: maxLoad)
        let phases: [WorkerRecord.Phase] = [.starting, .initializing, .ready, .retiring, .retired, .lost]
        for slot in 0..<64 { table.place(Self.worker(rank: slot + 1), in: slot) }
        var nextID: UInt64 = 1
        for _ in 0..<20_000 {
            let slot = Int(generator.next() % 64)
            switch generator.next() % 4 {
            case 0: table[slot].phase = phases[Int(generator.next() % UInt64(phases.count))]
            case 1 where table[slot].tasks.count < maxLoad + 1:
                table[slot].tasks.append(Self.task(nextID))
                nextID += 1
            case 2 where !table[slot].tasks.isEmpty: table[slot].tasks.removeFirst()
            default: table[slot].history.isReplaced.toggle()
            }
            let below = Int(generator.next() % UInt64(maxLoad)) + 1
            let least = table.filter { $0.phase == .ready && $0.tasks.count < below }.map(\.tasks.count).min()
            #expect(table.leastBusyReady(below: below).map { table[$0].tasks.count } == least)
        }
        #expect(table.counts.ready == table.count { $0.phase == .ready })
        #expect(table.counts.serving == table.count { $0.phase == .ready || $0.phase == .retiring })
        #expect(table.counts.starting == table.count { $0.phase == .starting })
        #expect(table.counts.alive == table.count(where: \.isAlive))
        #expect(table.counts.aliveNotReplaced == table.count { $0.isAlive && !$0.history.isReplaced })
    }
}
