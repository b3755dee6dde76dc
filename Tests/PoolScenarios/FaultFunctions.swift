import Foundation
import SwiftPool

// Remote functions for the fault scenarios: tasks that say which process ran them, and tasks
// that end the process running them in the ways real programs do.

/// The worker process that ran a task, and its parent: rank 0 in the plain start, its
/// supervisor (an MPI process) under a launcher.
struct WorkerIdentity: Codable, Sendable, Hashable {
    var rank: Int
    var host: String
    var processID: Int32
    var parentProcessID: Int32

    static var here: WorkerIdentity {
        WorkerIdentity(
            rank: PoolProcess.rank ?? -1, host: PoolProcess.hostName, processID: getpid(), parentProcessID: getppid())
    }
}

/// Sleeps, then says who it is: mapped over a few items per worker, it finds every worker.
struct Identify: RemoteFunction {
    var seconds: Double = 0.02
    func callAsFunction(_ item: Int) -> WorkerIdentity {
        usleep(UInt32(seconds * 1_000_000))
        return .here
    }
}

/// Squares after sleeping `micros`, and says which process did it.
struct SlowSquare: RemoteFunction {
    struct Answer: Codable, Sendable, Equatable {
        var square: Int
        var processID: Int32
    }

    var micros: UInt32
    func callAsFunction(_ x: Int) -> Answer {
        if micros > 0 { usleep(micros) }
        return Answer(square: x * x, processID: getpid())
    }
}

/// Squares, but ends its own process on the items in `deadly`, the way `how` says.
struct Deadly: RemoteFunction {
    enum How: String, Codable, Sendable {
        /// `fatalError`: a Swift trap, SIGILL on x86-64.
        case fatalError
        /// `exit(3)`: exit handlers run.
        case exit3
        /// `_exit(99)`: no exit handler runs, so only the parent's `waitpid` can tell.
        case underscoreExit99 = "_exit99"
        /// A segmentation fault: a write through a bad pointer, as real bugs make them.
        case segfault
    }

    var deadly: Set<Int>
    var how: How
    var micros: UInt32 = 0

    func callAsFunction(_ x: Int) -> Int {
        if micros > 0 { usleep(micros) }
        guard deadly.contains(x) else { return x * x }
        switch how {
        case .fatalError: fatalError("task \(x) crashes its worker on purpose")
        case .exit3: exit(3)
        case .underscoreExit99: _exit(99)
        case .segfault:
            // Not `raise(SIGSEGV)`: Swift's backtracer handles a raised signal and returns. A real
            // fault runs again once the handler is done, and then kills the process.
            UnsafeMutablePointer<Int>(bitPattern: 64 + x)!.pointee = x
            return -1
        }
    }
}

/// Sleeps for `seconds`, then says who it is and when it started (the realtime clock, the same on
/// every process of one machine).
struct SleepThenIdentify: RemoteFunction {
    struct Run: Codable, Sendable {
        var item: Int
        var worker: WorkerIdentity
        var startedAt: Double
    }

    var seconds: Double
    func callAsFunction(_ item: Int) -> Run {
        let started = Date().timeIntervalSince1970
        usleep(UInt32(seconds * 1_000_000))
        return Run(item: item, worker: .here, startedAt: started)
    }
}

/// Never returns.
struct RunForever: RemoteFunction {
    func callAsFunction(_ x: Int) -> Int {
        while true { sleep(1) }
    }
}

/// An initializer that kills its worker.
struct CrashingInitializer: ArgumentlessRemoteFunction {
    func callAsFunction() -> Int { fatalError("this initializer crashes its worker on purpose") }
}

/// Allocates and touches memory, 32 MiB at a time, up to `mebibytes`; returns how much it got.
/// In a memory-limited cgroup the kernel's OOM killer ends its process first.
struct Hog: RemoteFunction {
    var mebibytes: Int
    func callAsFunction(_ item: Int) -> Int {
        var blocks: [UnsafeMutableRawPointer] = []
        defer { for block in blocks { free(block) } }
        while blocks.count * 32 < mebibytes {
            guard let block = malloc(32 << 20) else { break }
            memset(block, 1, 32 << 20)
            blocks.append(block)
        }
        return blocks.count * 32
    }
}
