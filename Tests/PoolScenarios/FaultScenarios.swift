import Foundation
import SwiftPool
import Synchronization

/// Workers that die while the pool runs: killed from outside by PID, crashing inside a task, cut
/// off from the network, stuck forever. Each scenario reports what the program on rank 0 saw.
enum FaultScenarios {
    /// Every worker of the pool, found by running a few identifying tasks on each.
    static func workers(_ pool: MPIPoolExecutor) throws -> [WorkerIdentity] {
        let found = try pool.map(Identify(), Array(0..<(pool.maxWorkers * 8)), chunkSize: 1)
        return Set(found).sorted { $0.rank < $1.rank }
    }

    /// Reports every worker process seen, so the test can check none outlives the job.
    static func reportProcesses(_ identities: some Sequence<WorkerIdentity>, as name: String) {
        Report.fact(name, Set(identities.map(\.processID)).sorted())
    }

    /// `fault-map SIGNAL`: one worker is killed with SIGNAL in the middle of a 2,000-task map;
    /// the map still returns every result, in order.
    static func killDuringMap(signal: Int32) throws {
        try MPIPoolExecutor.run { pool in
            let before = try workers(pool)
            Report.fact("faultmap.ranksBefore", before.map(\.rank))
            let victim = before[0]
            let killedAt = Mutex<Double?>(nil)
            let mapStarted = Date().timeIntervalSince1970
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.3)
                kill(victim.processID, signal)
                killedAt.withLock { $0 = Date().timeIntervalSince1970 }
            }
            let answers = try pool.map(SlowSquare(micros: 1000), Array(0..<2000), chunkSize: 1)
            let mapEnded = Date().timeIntervalSince1970
            let killTime = killedAt.withLock { $0 } ?? .infinity
            Report.fact("faultmap.correct", answers.map(\.square) == (0..<2000).map { $0 * $0 })
            Report.fact("faultmap.killedDuringMap", killTime > mapStarted && killTime < mapEnded)
            Report.fact("faultmap.victimServedBefore", answers.contains { $0.processID == victim.processID })
            Report.fact("faultmap.mapSeconds", mapEnded - mapStarted)
            let after = try workers(pool)
            Report.fact("faultmap.ranksAfter", after.map(\.rank))
            Report.fact("faultmap.victimGone", !after.contains(victim))
            reportProcesses(before + after, as: "faultmap.processes")
        }
    }

    /// `ctrl-c`: in the middle of a map of long tasks, SIGINT goes to the whole process group,
    /// as a terminal's Ctrl-C does. Reports the worker processes and the time of the signal.
    static func controlC() throws {
        try MPIPoolExecutor.run { pool in
            reportProcesses(try workers(pool), as: "ctrlc.processes")
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.3)
                Report.fact("ctrlc.at", Date().timeIntervalSince1970)
                fflush(nil)
                kill(0, SIGINT)
            }
            _ = try pool.map(SleepThenEcho(seconds: 30), Array(0..<(pool.maxWorkers * 2)), chunkSize: 1)
            Report.fact("ctrlc.mapEnded", true)
        }
    }

    /// `detect SIGNAL [supervisor]`: one long task per worker; one worker (or, with `supervisor`,
    /// the MPI process supervising it) is killed with SIGNAL; with `maxRetries: 0` its task fails
    /// at once. Reports how long that took from the kill.
    static func detectKill(signal: Int32, supervisor: Bool = false) throws {
        try MPIPoolExecutor.run(maxRetries: 0) { pool in
            let identities = try workers(pool)
            let victim = identities[identities.count - 1]
            let tasks = try (0..<pool.maxWorkers).map { try pool.submit(SleepThenIdentify(seconds: 2), $0) }
            Thread.sleep(forTimeInterval: 0.3)
            let killed = Date()
            kill(supervisor ? victim.parentProcessID : victim.processID, signal)
            let failed = wait(tasks, timeout: .seconds(30), returnWhen: .firstException).done.first { future in
                (try? future.error()).flatMap { $0 } != nil
            }
            Report.fact("detect.seconds", Date().timeIntervalSince(killed))
            Report.fact("detect.outcome", Report.outcome { try failed.map { try $0.result() } })
            let others = tasks.filter { $0 != failed }.map { future in Report.outcome { try future.result() } }
            Report.fact("detect.othersSucceeded", others.allSatisfy(\.ok))
            Report.fact("detect.mapAfter", try pool.map(Square(), Array(0..<100)) == (0..<100).map { $0 * $0 })
            Report.fact("detect.workersAfter", try workers(pool).count)
            reportProcesses(identities, as: "detect.processes")
        }
    }

    /// `crash HOW RETRIES`: item 150 of 300 crashes its worker every time it runs (HOW:
    /// fatalError, exit3, segfault). The items are quick, so by then each worker holds several:
    /// those queued behind the deadly one must run again without using a retry. Reports every
    /// item's outcome.
    static func crashingTask(how: Deadly.How, retries: Int?) throws {
        let body = { (pool: MPIPoolExecutor) throws in
            let before = try workers(pool)
            let deadly = 150
            let function = Deadly(deadly: [deadly], how: how, micros: 200)
            let futures = try (0..<300).map { try pool.submit(function, $0) }
            let outcomes = futures.map { future in Report.outcome { try future.result() } }
            Report.fact("crash.deadly", outcomes[deadly])
            Report.fact(
                "crash.othersCorrect",
                zip(outcomes, 0...).allSatisfy { outcome, item in item == deadly || outcome.value == "\(item * item)" })
            let after = try workers(pool)
            Report.fact("crash.workersAfter", after.count)
            reportProcesses(before + after, as: "crash.processes")
        }
        if let retries { try MPIPoolExecutor.run(maxRetries: retries, body) } else { try MPIPoolExecutor.run(body) }
    }

    /// `all-dead`: under a launcher, every supervisor (the MPI process behind each worker) is
    /// killed while tasks are pending: no worker can be replaced, so every future fails with
    /// `brokenPool`, later submits too, and the body returns.
    static func allWorkersDead() throws {
        let identities = Mutex<[WorkerIdentity]>([])
        try MPIPoolExecutor.run { pool in
            let found = try workers(pool)
            identities.withLock { $0 = found }
            let futures = try (0..<40).map { try pool.submit(SleepThenIdentify(seconds: 0.2), $0) }
            Thread.sleep(forTimeInterval: 0.3)
            for worker in found { kill(worker.parentProcessID, SIGKILL) }
            let codes = futures.map { future in Report.outcome { try future.result() } }
            Report.fact("alldead.succeeded", codes.filter(\.ok).count)
            Report.fact("alldead.failureCodes", Set(codes.compactMap(\.poolCode)).sorted())
            Report.fact("alldead.message", codes.first { !$0.ok }?.message)
            Report.fact("alldead.laterSubmit", Report.outcome { try pool.submit(Square(), 2).result() })
            Report.fact("alldead.laterMap", Report.outcome { try pool.map(Square(), [1, 2, 3]) })
        }
        reportProcesses(identities.withLock { $0 }, as: "alldead.processes")
        Report.fact("alldead.bodyReturnedAt", Date().timeIntervalSince1970)
    }

    /// `link-down`: across the fake hosts, h3's network link is taken down while its worker runs a
    /// task; the task runs again on another host, and the map returns every result.
    static func linkDown() throws {
        try MPIPoolExecutor.run { pool in
            let before = try workers(pool)
            reportProcesses(before, as: "linkdown.processes")
            Report.fact("linkdown.hostsBefore", Set(before.map(\.host)).sorted())
            let cutAt = Mutex<Double>(.infinity)
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 1.5)
                let prefix = ProcessInfo.processInfo.environment["SWIFTPOOL_NETNS_PREFIX"] ?? "?"
                cutAt.withLock { $0 = Date().timeIntervalSince1970 }
                let command = Process()
                command.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
                command.arguments = ["-n", "\(prefix)-h3", "link", "set", "eth0", "down"]
                try? command.run()
                command.waitUntilExit()
            }
            let runs = try pool.map(SlowOnHost(host: "h3", slow: 60, fast: 0.1), Array(0..<24), chunkSize: 1)
            let cut = cutAt.withLock { $0 }
            Report.fact("linkdown.allItems", runs.map(\.item) == Array(0..<24))
            Report.fact("linkdown.finishedOn", Set(runs.map(\.worker.host)).sorted())
            // Every item but the one h3 held is done within about a second; that one starts again
            // elsewhere once h3 is given up, so the last start after the cut is the detection.
            Report.fact("linkdown.rerunAfterSeconds", (runs.map(\.startedAt).max() ?? 0) - cut)
            Report.fact("linkdown.hostsAfter", Set(try workers(pool).map(\.host)).sorted())
        }
        Report.fact("linkdown.done", true)
    }

    /// `task-timeout`: a task that never ends is stopped at the pool's task timeout; the rest run.
    static func taskTimeout() throws {
        try MPIPoolExecutor.run(taskTimeout: .seconds(1)) { pool in
            let before = try workers(pool)
            let start = Date()
            let stuck = try pool.submit(RunForever(), 1)
            let fine = try (0..<10).map { try pool.submit(Square(), $0) }
            Report.fact("timeout.stuck", Report.outcome { try stuck.result() })
            Report.fact("timeout.stuckSeconds", Date().timeIntervalSince(start))
            Report.fact("timeout.others", try fine.map { try $0.result() })
            let after = try workers(pool)
            Report.fact("timeout.workersAfter", after.count)
            reportProcesses(before + after, as: "timeout.processes")
        }
    }

    /// `crash-loop`: the pool's initializer crashes every worker that runs it; replacements die
    /// before they are ready, so they are not replaced again, and the pool breaks.
    static func crashLoop() throws {
        try MPIPoolExecutor.run(initializer: CrashingInitializer()) { pool in
            let start = Date()
            let outcome = Report.outcome { try pool.map(Square(), Array(0..<10)) }
            Report.fact("crashloop.outcome", outcome)
            Report.fact("crashloop.seconds", Date().timeIntervalSince(start))
        }
    }

    /// `oom`: one worker is put in a 128 MiB memory cgroup and given a task that wants 2 GiB; the
    /// kernel's OOM killer ends it, and with `maxRetries: 0` the task fails at once.
    static func outOfMemory() throws {
        try MPIPoolExecutor.run(maxRetries: 0) { pool in
            // Inside the body: only rank 0 makes the cage (code before `run` runs on every rank).
            guard let cage = MemoryCage.make(mebibytes: 128) else {
                Report.fact("oom.available", false)
                return
            }
            defer { cage.remove() }
            Report.fact("oom.available", true)
            let identities = try workers(pool)
            guard cage.admit(identities[0].processID) else {
                Report.fact("oom.admitted", false)
                return
            }
            Report.fact("oom.admitted", true)
            // The only task in flight goes to the first free worker: the one in the cage.
            let start = Date()
            let outcome = Report.outcome { try pool.submit(Hog(mebibytes: 2048), 0).result() }
            Report.fact("oom.seconds", Date().timeIntervalSince(start))
            Report.fact("oom.outcome", outcome)
            Report.fact("oom.kills", cage.oomKills)
            Report.fact("oom.after", try pool.map(Square(), Array(0..<20)) == (0..<20).map { $0 * $0 })
            reportProcesses(identities, as: "oom.processes")
        }
    }

    /// `chaos`: in the plain start a worker that has served tasks is killed every 200 ms while
    /// 100,000 tasks run; every future resolves exactly once, with the right value.
    static func chaos() throws {
        try MPIPoolExecutor.run { pool in
            let count = Int(ProcessInfo.processInfo.environment["CHAOS_TASKS"] ?? "") ?? 100_000
            let settled = Atomic<Int>(0)
            let settledTwice = Atomic<Int>(0)
            let seen = Mutex<[Int32: Double]>([:])
            let micros = UInt32(ProcessInfo.processInfo.environment["CHAOS_MICROS"] ?? "") ?? 0
            let futures = try (0..<count).map { item in
                let future = try pool.submit(SlowSquare(micros: micros), item)
                let once = Atomic<Bool>(false)
                future.addDoneCallback { done in
                    if once.exchange(true, ordering: .relaxed) { settledTwice.add(1, ordering: .relaxed) }
                    settled.add(1, ordering: .relaxed)
                    if let answer = try? done.result() {
                        seen.withLock { $0[answer.processID] = Date().timeIntervalSince1970 }
                    }
                }
                return future
            }
            var killed: [Int32] = []
            let interval = Double(ProcessInfo.processInfo.environment["CHAOS_INTERVAL"] ?? "") ?? 0.2
            let start = Date()
            while futures.contains(where: { !$0.isDone }) {
                Thread.sleep(forTimeInterval: interval > 0 ? interval : 0.05)
                guard interval > 0 else { continue }
                // A ready worker: one that has answered within the last 200 ms.
                let now = Date().timeIntervalSince1970
                let ready = seen.withLock { $0 }.filter { now - $0.value < 0.2 && !killed.contains($0.key) }
                if ProcessInfo.processInfo.environment["CHAOS_VERBOSE"] != nil {
                    FileHandle.standardError.write(Data("chaos: \(settled.load(ordering: .relaxed)) settled\n".utf8))
                }
                let maximumKills = Int(ProcessInfo.processInfo.environment["CHAOS_MAX_KILLS"] ?? "") ?? .max
                guard killed.count < maximumKills, let victim = ready.keys.min() else { continue }
                kill(victim, SIGKILL)
                killed.append(victim)
            }
            let wrong = futures.enumerated().filter { item, future in (try? future.result().square) != item * item }
            let correct = wrong.isEmpty
            if let (item, future) = wrong.first {
                Report.fact("chaos.firstWrong", "\(item): \(Report.outcome { try future.result() })")
            }
            Report.fact("chaos.wrongCount", wrong.count)
            Report.fact("chaos.workersAfter", try workers(pool).count)
            pool.shutdown()
            Report.fact("chaos.seconds", Date().timeIntervalSince(start))
            Report.fact("chaos.killed", killed.count)
            Report.fact("chaos.correct", correct)
            Report.fact("chaos.settled", settled.load(ordering: .relaxed))
            Report.fact("chaos.settledTwice", settledTwice.load(ordering: .relaxed))
            Report.fact("chaos.processes", Array(seen.withLock { $0 }.keys).sorted())
        }
    }
}

/// A memory cgroup that a scenario puts one worker in, so that the kernel's OOM killer ends it.
/// Made by the scenario (as root), removed once the worker in it is gone.
struct MemoryCage {
    let path: String
    let limitFile: String
    let killCounter: String

    /// A new cage limited to `mebibytes`, under cgroup v1 or v2, or nil where none can be made.
    static func make(mebibytes: Int) -> MemoryCage? {
        let name = "swiftpool-oom-\(getpid())"
        let candidates = [
            ("/sys/fs/cgroup/memory/\(name)", "memory.limit_in_bytes", "memory.oom_control"),
            ("/sys/fs/cgroup/\(name)", "memory.max", "memory.events"),
        ]
        for (path, limit, counter) in candidates where mkdir(path, 0o755) == 0 {
            let cage = MemoryCage(path: path, limitFile: "\(path)/\(limit)", killCounter: "\(path)/\(counter)")
            if cage.write("\(mebibytes << 20)", to: cage.limitFile) { return cage }
            cage.remove()
        }
        return nil
    }

    func write(_ text: String, to file: String) -> Bool {
        guard let handle = FileHandle(forWritingAtPath: file) else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data(text.utf8))) != nil
    }

    func admit(_ process: Int32) -> Bool { write("\(process)", to: "\(path)/cgroup.procs") }

    /// How many processes the OOM killer has ended in the cage.
    var oomKills: Int {
        let text = (try? String(contentsOfFile: killCounter, encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("oom_kill ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    func remove() {
        for _ in 0..<50 where rmdir(path) != 0 { usleep(100_000) }
    }
}

/// Sleeps `slow` seconds on `host` and `fast` elsewhere; says where and when it started.
struct SlowOnHost: RemoteFunction {
    var host: String
    var slow: Double
    var fast: Double

    func callAsFunction(_ item: Int) -> SleepThenIdentify.Run {
        SleepThenIdentify(seconds: PoolProcess.hostName == host ? slow : fast)(item)
    }
}
