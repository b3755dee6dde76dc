import Dispatch
import SwiftPool
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The tiny task of the latency and throughput workloads: one integer in, one out.
struct Increment: RemoteFunction {
    func callAsFunction(_ x: Int) -> Int { x + 1 }
}

/// This process's rank and CPU seconds so far, after a short sleep that spreads a batch of these
/// over every worker.
struct SampleCPU: RemoteFunction {
    struct Sample: Codable, Sendable {
        var rank: Int
        var cpuSeconds: Double
    }

    func callAsFunction(_ item: Int) -> Sample {
        usleep(20_000)
        return Sample(rank: PoolProcess.rank ?? -1, cpuSeconds: processCPUSeconds())
    }
}

func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}

func elapsedSeconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The value at fraction `q` (0...1) of a sorted sample.
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
}

func figure(_ name: String, _ value: Double, _ unit: String) {
    print("FIGURE \(name) \(value) \(unit)")
}

/// A result handed from a task to a waiting thread.
final class OutcomeSlot<T: Sendable>: Sendable {
    private let value = Mutex<Result<T, any Error>?>(nil)
    func set(_ result: Result<T, any Error>) { value.withLock { $0 = result } }
    func get() throws -> T { try value.withLock { $0! }.get() }
}

/// A semaphore a detached task may signal.
final class DispatchSemaphoreWrapper: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func signal() { semaphore.signal() }
    func wait() { semaphore.wait() }
}
