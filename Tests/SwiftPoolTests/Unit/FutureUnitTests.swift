import Dispatch
import Foundation
import Synchronization
import Testing

@testable import SwiftPool

/// Futures settled by hand, without a pool: their contract alone.
@Suite("futures, in-process")
struct FutureUnitTests {
    @Test("a future resolves exactly once; later resolutions are ignored")
    func resolvesOnce() throws {
        let future = Future<Int>(tracker: nil)
        #expect(!future.isDone)
        #expect(future.resolve(.success(1)))
        #expect(!future.resolve(.success(2)))
        #expect(!future.resolve(.failure(PoolError.cancelled)))
        #expect(try future.result() == 1)
        #expect(future.isDone && !future.isRunning && !future.isCancelled)
    }

    /// CPython's `test_repr`.
    @Test("a future describes its state: queued, running, cancelled, finished with its value, or failed")
    func describesItsState() {
        let queued = Future<Int>(tracker: nil)
        #expect("\(queued)" == "Future(queued)")
        let running = Future<Int>(tracker: nil)
        #expect(running.markRunning())
        #expect("\(running)" == "Future(running)")
        let cancelled = Future<Int>(tracker: nil)
        #expect(cancelled.cancel())
        #expect("\(cancelled)" == "Future(cancelled)")
        #expect(running.resolve(.success(42)))
        #expect("\(running)" == "Future(finished: 42)")
        let failed = Future<Int>(tracker: nil)
        #expect(failed.resolve(.failure(PoolError.cancelled)))
        #expect("\(failed)".hasPrefix("Future(failed: "))
    }

    @Test("cancel succeeds only while queued")
    func cancel() throws {
        let queued = Future<Int>(tracker: nil)
        #expect(queued.cancel())
        #expect(queued.cancel())
        #expect(queued.isCancelled && queued.isDone)
        #expect(!queued.markRunning())
        #expect(throws: PoolError.self) { try queued.result() }
        let running = Future<Int>(tracker: nil)
        #expect(running.markRunning())
        #expect(running.isRunning)
        #expect(!running.cancel())
        running.resolve(.success(5))
        #expect(!running.cancel())
    }

    @Test("result(timeout:) times out, then succeeds once resolved")
    func timeout() throws {
        let future = Future<String>(tracker: nil)
        let start = ContinuousClock.now
        #expect {
            try future.result(timeout: .milliseconds(50))
        } throws: { ($0 as? PoolError)?.code == .timedOut }
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { future.resolve(.success("late")) }
        #expect(try future.result(timeout: .seconds(5)) == "late")
    }

    @Test("a blocked reader is woken by resolution from another thread")
    func wakesBlockedReader() throws {
        let future = Future<Int>(tracker: nil)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { future.resolve(.failure(ItemFailure())) }
        #expect(throws: ItemFailure.self) { try future.result() }
        #expect(try future.error() is ItemFailure)
    }

    @Test("awaiting value suspends until resolution, and cancellation of the awaiting task stops the wait")
    func asyncValue() async throws {
        let future = Future<Int>(tracker: nil)
        Task.detached {
            try await Task.sleep(for: .milliseconds(20))
            future.resolve(.success(7))
        }
        #expect(try await future.value == 7)
        let never = Future<Int>(tracker: nil)
        let waiter = Task { try await never.value }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }

    @Test("done callbacks fire exactly once each, in order, even when one throws")
    func callbacks() throws {
        let future = Future<Int>(tracker: nil)
        let calls = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        future.addDoneCallback { _ in calls.withLock { $0.append("a") } }
        future.addDoneCallback { _ in throw ItemFailure() }
        future.addDoneCallback { f in
            calls.withLock { $0.append("c\((try? f.result()) ?? -1)") }
            done.signal()
        }
        future.resolve(.success(3))
        future.resolve(.success(4))
        #expect(done.wait(timeout: .now() + 5) == .success)
        future.addDoneCallback { _ in calls.withLock { $0.append("late") } }
        #expect(calls.withLock { $0 } == ["a", "c3", "late"])
    }

    @Test("wait returns on the first completion, the first failure or all, and a timeout is not an error")
    func waitModes() throws {
        let a = Future<Int>(tracker: nil)
        let b = Future<Int>(tracker: nil)
        #expect(wait([a, b], timeout: .milliseconds(20)).notDone == [a, b])
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.02) { b.resolve(.failure(ItemFailure())) }
        let first = wait([a, b], returnWhen: .firstException)
        #expect(first.done == [b] && first.notDone == [a])
        a.resolve(.success(1))
        let all = wait([a, b])
        #expect(all.done == [a, b] && all.notDone.isEmpty)
    }

    @Test("asCompleted yields futures as they finish and times out on the rest")
    func asCompletedOrder() async throws {
        let futures = (0..<3).map { _ in Future<Int>(tracker: nil) }
        for (index, delay) in [0.06, 0.02, 0.04].enumerated() {
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { futures[index].resolve(.success(index)) }
        }
        var order: [Int] = []
        for try await future in asCompleted(futures) { order.append(try await future.value) }
        #expect(order == [1, 2, 0])
        let pending = Future<Int>(tracker: nil)
        await #expect {
            for try await _ in asCompleted([pending], timeout: .milliseconds(30)) {}
        } throws: { ($0 as? PoolError)?.code == .timedOut }
    }

    @Test("awaiting value in a task already cancelled ends at once with CancellationError")
    func valueInCancelledTask() async throws {
        let future = Future<Int>(tracker: nil)
        let started = Atomic<Bool>(false)
        // Resolves a second after the task began, so a wait that ignored the cancellation would
        // return 7 instead of throwing.
        DispatchQueue.global().async {
            while !started.load(ordering: .acquiring) { usleep(1000) }
            usleep(1_000_000)
            future.resolve(.success(7))
        }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            started.store(true, ordering: .releasing)
            return try await future.value
        }
        let outcome = await task.result
        #expect(throws: CancellationError.self) { try outcome.get() }
    }

    @Test("waits with a deadline that end early leave no timer behind")
    func noTimersPileUp() async throws {
        let mailbox = Mailbox<Int>()
        let before = Suspension<Int>.liveTimers
        for value in 0..<200 {
            // Each wait has an hour to go, and ends at once when the value comes.
            DispatchQueue.global().async { mailbox.push(value) }
            guard case .value(let received) = await mailbox.next(deadline: Deadline(after: .seconds(3600))) else {
                Issue.record("no value")
                return
            }
            #expect(received == value)
        }
        // One timer per wait would leave 200; other tests' waits may hold a few meanwhile.
        #expect(Suspension<Int>.liveTimers - before < 10, "timers still armed")
    }
}

struct ItemFailure: Error {}
