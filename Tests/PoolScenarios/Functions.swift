import SwiftPool
import Synchronization

// Remote functions the scenarios submit. Each is a top-level Codable type, as a user would write.
#if canImport(Glibc)
    import Glibc
#endif

struct Square: RemoteFunction {
    func callAsFunction(_ x: Int) -> Int { x * x }
}

/// Where a task ran.
struct Placement: Codable, Sendable, Hashable {
    var rank: Int
    var host: String
}

struct WhereAmI: ArgumentlessRemoteFunction {
    func callAsFunction() -> Placement { Placement(rank: PoolProcess.rank ?? -1, host: PoolProcess.hostName) }
}

/// Sleeps, then reports its item and where it ran, so work spreads and the spread is visible.
struct SleepAndPlace: RemoteFunction {
    var seconds: Double
    func callAsFunction(_ item: Int) -> PlacedItem {
        usleep(UInt32(seconds * 1_000_000))
        return PlacedItem(item: item, placement: WhereAmI()())
    }
}

struct PlacedItem: Codable, Sendable {
    var item: Int
    var placement: Placement
}

struct ItemError: Error, CustomStringConvertible {
    var item: Int
    var description: String { "item \(item) is not allowed" }
}

/// Throws for the items in `failing`, squares the others.
struct FailOn: RemoteFunction {
    var failing: Set<Int>
    func callAsFunction(_ x: Int) throws -> Int {
        if failing.contains(x) { throw ItemError(item: x) }
        return x * x
    }
}

/// Throws when it runs on `host`; sleeps a little otherwise, so the items spread over the hosts.
struct FailOnHost: RemoteFunction {
    var host: String
    func callAsFunction(_ x: Int) throws -> Int {
        if PoolProcess.hostName == host { throw ItemError(item: x) }
        usleep(20_000)
        return x
    }
}

/// Sleeps for `seconds`, then returns its argument.
struct SleepThenEcho: RemoteFunction {
    var seconds: Double
    func callAsFunction(_ x: Int) -> Int {
        usleep(UInt32(seconds * 1_000_000))
        return x
    }
}

/// Awaits a Swift-concurrency sleep, so the task really suspends on the worker.
struct AsyncSleepThenDouble: RemoteFunction {
    func callAsFunction(_ x: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(20))
        return 2 * x
    }
}

/// Returns its argument: a generic function type, found by name like any other.
struct Echo<Value: Codable & Sendable>: RemoteFunction {
    func callAsFunction(_ value: Value) -> Value { value }
}

/// A value whose encoding always fails.
struct Unencodable: Codable, Sendable {
    init() {}
    init(from decoder: any Decoder) throws { self.init() }
    func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(self, .init(codingPath: [], debugDescription: "Unencodable refuses to encode"))
    }
}

/// A value that encodes fine but whose decoding always fails.
struct Undecodable: Codable, Sendable {
    var value: Int
    init(value: Int) { self.value = value }
    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Undecodable refuses to decode"))
    }
}

struct AcceptUnencodable: RemoteFunction {
    func callAsFunction(_ value: Unencodable) -> Int { 1 }
}

struct ReturnUnencodable: RemoteFunction {
    func callAsFunction(_ x: Int) -> Unencodable { Unencodable() }
}

struct ReturnUndecodable: RemoteFunction {
    func callAsFunction(_ x: Int) -> Undecodable { Undecodable(value: x) }
}

/// This process's CPU time (user + system) in seconds.
struct ProcessCPUSeconds: ArgumentlessRemoteFunction {
    func callAsFunction() -> Double { processCPUSeconds() }
}

func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}

struct InitializerError: Error, CustomStringConvertible {
    var description: String { "the initializer refuses to start" }
}

struct FailingInitializer: ArgumentlessRemoteFunction {
    func callAsFunction() throws -> Bool { throw InitializerError() }
}

/// Worker-process state an initializer sets up.
enum WorkerGreeting {
    static let value = Mutex<String?>(nil)
}

struct SetGreeting: ArgumentlessRemoteFunction {
    var greeting: String
    func callAsFunction() -> Bool {
        WorkerGreeting.value.withLock { $0 = greeting }
        return true
    }
}

struct ReadGreeting: ArgumentlessRemoteFunction {
    func callAsFunction() -> String { WorkerGreeting.value.withLock { $0 } ?? "<none>" }
}

/// Sums an array: how a big argument is checked without sending it back.
struct SumArray: RemoteFunction {
    func callAsFunction(_ values: [Double]) -> Double { values.reduce(0, +) }
}

/// Returns its array: a big argument's round trip.
struct EchoArray: RemoteFunction {
    func callAsFunction(_ values: [Double]) -> [Double] { values }
}

/// A remote function hidden from lookup by name: `private` types cannot be found.
private struct HiddenSquare: RemoteFunction {
    func callAsFunction(_ x: Int) -> Int { x * x }
}

func submitHiddenFunction(_ pool: MPIPoolExecutor) throws -> Future<Int> {
    try pool.submit(HiddenSquare(), 3)
}

/// A function value that cannot be decoded on the worker, taking a large array: the worker must
/// drop the array it never reads.
struct UndecodableSum: RemoteFunction {
    init() {}
    init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "UndecodableSum refuses to decode"))
    }
    func encode(to encoder: any Encoder) throws {}
    func callAsFunction(_ values: [Double]) -> Double { values.reduce(0, +) }
}
