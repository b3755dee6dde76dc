import SwiftPool
// The callback pattern: submit, then react when each result is in, without blocking on it.
//
//   swift build -c release --product CallbackExample
//   mpirun --allow-run-as-root --oversubscribe -np 3 .build/release/CallbackExample
import Synchronization

/// Says which worker greeted whom.
struct Greet: RemoteFunction {
    var greeting: String
    func callAsFunction(_ name: String) -> String {
        "\(greeting), \(name)! (from rank \(PoolProcess.rank ?? -1) on \(PoolProcess.hostName))"
    }
}

@main
struct CallbackExample {
    static func main() throws {
        let received = Mutex(0)
        try MPIPoolExecutor.run { pool in
            for name in ["Ada", "Grace", "Barbara", "Frances"] {
                let future = try pool.submit(Greet(greeting: "Hello"), name)
                // Runs once the result is in, on SwiftPool's callback queue.
                future.addDoneCallback { done in
                    print(try done.result())
                    received.withLock { $0 += 1 }
                }
            }
        }  // leaving run waits for every task and every callback
        print("callbacks run: \(received.withLock { $0 })")
    }
}
