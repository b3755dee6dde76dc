// The submit pattern: hand one call to a worker, get a future, block on its result.
//
//   swift build -c release --product SubmitExample
//   mpirun --allow-run-as-root --oversubscribe -np 3 .build/release/SubmitExample
import SwiftPool

/// Counts the primes below `limit` by trial division: honest CPU work for one worker.
struct CountPrimes: RemoteFunction {
    func callAsFunction(_ limit: Int) -> Int {
        (2..<max(limit, 2)).count { n in
            var divisor = 2
            while divisor * divisor <= n {
                if n % divisor == 0 { return false }
                divisor += 1
            }
            return true
        }
    }
}

@main
struct SubmitExample {
    static func main() throws {
        try MPIPoolExecutor.run { pool in
            // Submit several calls at once; each future resolves when its worker answers.
            let limits = [10_000, 100_000, 200_000, 300_000]
            let futures = try limits.map { try pool.submit(CountPrimes(), $0) }
            for (limit, future) in zip(limits, futures) {
                print("primes below \(limit): \(try future.result())")
            }
        }
    }
}
