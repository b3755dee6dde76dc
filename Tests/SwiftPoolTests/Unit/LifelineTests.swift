import Foundation
import Synchronization
import Testing

@testable import SwiftPool

/// Rank 0's lifeline monitor, run in this process on loopback, facing real TCP connections:
/// workers that show the secret, strangers that do not, and connections that die or fall silent.
@Suite("lifelines")
struct LifelineTests {
    /// Collects what a monitor reports.
    final class Events: Sendable {
        private let list = Mutex<[LifelineEvent]>([])
        func append(_ event: LifelineEvent) { list.withLock { $0.append(event) } }
        var all: [LifelineEvent] { list.withLock { $0 } }

        /// Waits until `predicate` holds for the events, up to `seconds`.
        func wait(seconds: Double, until predicate: ([LifelineEvent]) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if predicate(all) { return true }
                usleep(5_000)
            }
            return predicate(all)
        }
    }

    static let settings = LifelineSettings(
        heartbeatNanos: 50_000_000, silenceNanos: 300_000_000, connectNanos: 1_000_000_000)

    static func monitor(_ events: Events) throws -> LifelineMonitor {
        try LifelineMonitor(addresses: [IPv4Endpoint.loopback.address], settings: settings, report: events.append)
    }

    /// A raw client connection to the monitor.
    static func connect(_ monitor: LifelineMonitor) throws -> Int32 {
        try TCPSocket.connect(to: monitor.endpoints[0], timeoutNanos: 1_000_000_000)
    }

    /// Whether the other side closes the connection within `seconds`.
    static func closesWithin(_ descriptor: Int32, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        while Date() < deadline {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, 20)
            if case .closed = TCPSocket.readAvailable(descriptor, into: &received) { return true }
        }
        return false
    }

    @Test("a hello carries the rank and process id, and only the right secret reads back")
    func hello() {
        let secret = LifelineSecret.random()
        let bytes = LifelineHello(rank: 7, processID: 4242).encoded(secret: secret)
        #expect(bytes.count == LifelineHello.size)
        #expect(LifelineHello.read(bytes, secret: secret) == LifelineHello(rank: 7, processID: 4242))
        #expect(LifelineHello.read(bytes, secret: LifelineSecret.random()) == nil)
        #expect(!LifelineHello.isPlausiblePrefix(Array("GET / HTTP/1.1".utf8)))
        #expect(LifelineHello.isPlausiblePrefix(Array(bytes.prefix(3))))
    }

    @Test("a welcome survives encoding: ranks, endpoint, secret, heartbeat settings and host")
    func welcome() throws {
        let welcome = Welcome(
            rank: 12, firstWorkerRank: 23, workerCount: 64,
            endpoint: IPv4Endpoint(address: inet_addr("10.1.2.3"), port: 40123), secret: LifelineSecret.random(),
            settings: Self.settings, onRankZerosHost: true)
        #expect(try Welcome.decode(welcome.encoded()) == welcome)
        #expect("\(welcome.endpoint)" == "10.1.2.3:40123")
        #expect(throws: PoolError.self) { try Welcome.decode([1, 2, 3]) }
    }

    @Test("a worker that shows the secret is reported connected; closing without a word is a loss")
    func connectAndVanish() throws {
        let events = Events()
        let monitor = try Self.monitor(events)
        defer { monitor.shutdown() }
        monitor.expect(rank: 3, host: "test")
        usleep(20_000)
        let descriptor = try Self.connect(monitor)
        let hello = LifelineHello(rank: 3, processID: getpid()).encoded(secret: monitor.secret)
        #expect(hello.withUnsafeBytes { TCPSocket.send($0, on: descriptor) })
        #expect(events.wait(seconds: 2) { $0.contains { if case .connected(3) = $0 { true } else { false } } })
        close(descriptor)
        #expect(events.wait(seconds: 2) { $0.contains { if case .lost(3, .vanished) = $0 { true } else { false } } })
        #expect(monitor.sawUnannouncedClosure)
    }

    @Test("a hello that arrives before the executor's expect for its rank is admitted once the expect comes")
    func helloBeforeExpect() throws {
        let events = Events()
        let monitor = try Self.monitor(events)
        defer { monitor.shutdown() }
        let descriptor = try Self.connect(monitor)
        defer { close(descriptor) }
        let hello = LifelineHello(rank: 4, processID: getpid()).encoded(secret: monitor.secret)
        #expect(hello.withUnsafeBytes { TCPSocket.send($0, on: descriptor) })
        // Long enough for the monitor to read the whole hello while rank 4 is not expected yet.
        usleep(200_000)
        monitor.expect(rank: 4, host: "test")
        #expect(events.wait(seconds: 2) { $0.contains { if case .connected(4) = $0 { true } else { false } } })
        #expect(!Self.closesWithin(descriptor, seconds: 0.2))
    }

    @Test("a supervisor that says it is stopping is not lost when its lifeline closes")
    func stoppingIsNoLoss() throws {
        let events = Events()
        let monitor = try Self.monitor(events)
        defer { monitor.shutdown() }
        monitor.expect(rank: 3, host: "test")
        usleep(20_000)
        let descriptor = try Self.connect(monitor)
        let hello = LifelineHello(rank: 3, processID: 1).encoded(secret: monitor.secret)
        hello.withUnsafeBytes { _ = TCPSocket.send($0, on: descriptor) }
        #expect(events.wait(seconds: 2) { $0.contains { if case .connected(3) = $0 { true } else { false } } })
        TCPSocket.send(LifelineRecord(kind: .stopping), on: descriptor)
        usleep(50_000)
        close(descriptor)
        usleep(300_000)
        #expect(!events.all.contains { if case .lost(3, _) = $0 { true } else { false } })
        #expect(!monitor.sawUnannouncedClosure)
    }

    @Test("waitpid's status reads as the exact end: an exit code, _exit included, or a signal")
    func exactEnds() throws {
        func end(of script: String) -> WorkerEnd {
            var process: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] =
                ["/bin/sh", "-c", script].map { (text: String) in strdup(text) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            guard posix_spawn(&process, "/bin/sh", nil, nil, argv, environ) == 0 else { return .vanished }
            var status: Int32 = 0
            while waitpid(process, &status, 0) == -1 && errno == EINTR {}
            return WorkerEnd(waitStatus: status)
        }
        #expect(end(of: "exit 99") == .exited(code: 99))
        #expect(end(of: "exit 0") == .exited(code: 0))
        #expect(end(of: "kill -SEGV $$") == .signalled(SIGSEGV))
        #expect(end(of: "kill -KILL $$") == .signalled(SIGKILL))
    }

    @Test("a worker that falls silent is lost once its heartbeats stop for the silence allowed")
    func silence() throws {
        let events = Events()
        let monitor = try Self.monitor(events)
        defer { monitor.shutdown() }
        monitor.expect(rank: 5, host: "test")
        usleep(20_000)
        let descriptor = try Self.connect(monitor)
        defer { close(descriptor) }
        let hello = LifelineHello(rank: 5, processID: 1).encoded(secret: monitor.secret)
        hello.withUnsafeBytes { _ = TCPSocket.send($0, on: descriptor) }
        let start = Date()
        #expect(
            events.wait(seconds: 3) { $0.contains { if case .lost(5, .silent) = $0 { true } else { false } } })
        let noticed = Date().timeIntervalSince(start)
        #expect(noticed >= 0.3 && noticed < 1.5, "noticed after \(noticed) s")
    }

    @Test("a worker told where to connect that never does is lost after the time allowed")
    func neverConnected() throws {
        let events = Events()
        let monitor = try Self.monitor(events)
        defer { monitor.shutdown() }
        monitor.expect(rank: 9, host: "test")
        #expect(
            events.wait(seconds: 3) { $0.contains { if case .lost(9, .neverConnected) = $0 { true } else { false } } })
    }

    @Test("strangers are dropped: a wrong secret, garbage, an unexpected rank, or silence")
    func strangers() throws {
        let events = Events()
        let monitor = try Self.monitor(events)
        defer { monitor.shutdown() }
        monitor.expect(rank: 1, host: "test")
        usleep(20_000)

        let wrongSecret = try Self.connect(monitor)
        LifelineHello(rank: 1, processID: 1).encoded(secret: LifelineSecret.random()).withUnsafeBytes {
            _ = TCPSocket.send($0, on: wrongSecret)
        }
        #expect(Self.closesWithin(wrongSecret, seconds: 1))
        close(wrongSecret)

        let garbage = try Self.connect(monitor)
        Array("GET / HTTP/1.1\r\n\r\n".utf8).withUnsafeBytes { _ = TCPSocket.send($0, on: garbage) }
        #expect(Self.closesWithin(garbage, seconds: 1))
        close(garbage)

        // The right secret for a rank nobody expects: kept only as long as a hello may take.
        let unexpected = try Self.connect(monitor)
        LifelineHello(rank: 2, processID: 1).encoded(secret: monitor.secret).withUnsafeBytes {
            _ = TCPSocket.send($0, on: unexpected)
        }
        #expect(Self.closesWithin(unexpected, seconds: 3))
        close(unexpected)

        let silent = try Self.connect(monitor)
        let start = Date()
        #expect(Self.closesWithin(silent, seconds: 4))
        #expect(Date().timeIntervalSince(start) >= 1.5)
        close(silent)

        // Rank 1 is still expected: none of the strangers took its place.
        #expect(!events.all.contains { if case .connected = $0 { true } else { false } })
    }

    @Test("how a worker ended reads as a sentence, naming the signal")
    func endDescriptions() {
        #expect(WorkerEnd.exited(code: 3).description == "exited with code 3")
        #expect(WorkerEnd.signalled(SIGILL).description.hasPrefix("was killed by SIGILL (a Swift runtime trap"))
        #expect(WorkerEnd.signalled(SIGSEGV).description.hasPrefix("was killed by SIGSEGV"))
        #expect(WorkerEnd.signalled(SIGKILL).description.contains("OOM killer"))
        #expect(WorkerEnd.vanished.description.contains("its supervisor"))
        #expect(WorkerEnd.silent(nanos: 3_000_000_000).description.contains("no heartbeat for 3.0 s"))
        let loss = WorkerLoss(rank: 2, host: "node7", end: .exited(code: 3))
        let error = Scheduler.lostTaskError(loss, runs: 3, retries: 2)
        #expect(error.code == .workerLost)
        #expect(
            error.message
                == "rank 2 on host node7 exited with code 3 while running this task; the task ran 3 times and lost "
                + "its worker each time (maxRetries: 2), so it is not run again")
    }
}
