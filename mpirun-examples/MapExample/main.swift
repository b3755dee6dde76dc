// The map pattern: apply a function to every item on the workers, results in input order.
//
//   swift build -c release --product MapExample
//   mpirun --allow-run-as-root --oversubscribe -np 4 .build/release/MapExample
import SwiftPool

/// Squares a number. Top-level, Codable (it has no stored properties), called like a function.
struct Square: RemoteFunction {
    func callAsFunction(_ x: Int) -> Int { x * x }
}

@main
struct MapExample {
    static func main() throws {
        try MPIPoolExecutor.run { pool in
            let squares = try pool.map(Square(), 1...10)
            print("squares of 1...10 on \(pool.maxWorkers) workers: \(squares)")
            let total = try pool.map(Square(), 1...100_000, chunkSize: 1000).reduce(0, +)
            print("sum of squares of 1...100000: \(total)")
        }
    }
}
