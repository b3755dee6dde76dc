import Foundation
import Testing

@testable import SwiftPool

/// The doorbell alone, both ends in this process: a worker's bit, set through its own mapping of
/// rank 0's memory, is taken once by rank 0, whatever the slot.
@Suite("Doorbell")
struct DoorbellTests {
    @Test("bits rung through a second mapping are taken once each, in any word, and cleared")
    func ringAndTake() throws {
        let executor = try Doorbell.create()
        let worker = try Doorbell.open(processID: getpid(), descriptor: executor.descriptor)
        let slots = [0, 1, 63, 64, 4095, 4096, 70_000, Doorbell.capacity - 1]
        for slot in slots { worker.ring(slot) }
        worker.ring(64)
        var taken: [Int] = []
        executor.takeRung(among: Doorbell.capacity) { taken.append($0) }
        #expect(taken.sorted() == slots)
        taken = []
        executor.takeRung(among: Doorbell.capacity) { taken.append($0) }
        #expect(taken.isEmpty)
    }

    @Test("only the first slots asked for are looked at; the rest stay rung")
    func takesOnlyTheTableSize() throws {
        let executor = try Doorbell.create()
        executor.ring(5)
        executor.ring(10_000)
        var taken: [Int] = []
        executor.takeRung(among: 100) { taken.append($0) }
        #expect(taken == [5])
        executor.takeRung(among: 20_000) { taken.append($0) }
        #expect(taken == [5, 10_000])
    }

    @Test("a frame stream with a doorbell rings its slot on every write")
    func streamRings() throws {
        let memory = try SharedChannelMemory.create()
        let writer = FrameStream.workerEnd(of: memory)
        let reader = FrameStream.executorEnd(of: memory)
        let doorbell = try Doorbell.create()
        writer.doorbell = (doorbell, 42)
        writer.send(FrameEncoder.ready(rank: 1, processID: 7))
        var taken: [Int] = []
        doorbell.takeRung(among: 64) { taken.append($0) }
        #expect(taken == [42])
        #expect(reader.receiveFrames().frames.count == 1)
    }
}
