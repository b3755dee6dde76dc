import ArgumentParser
import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

/// The CPU a worker's parent (its supervisor under mpirun) uses while the worker runs one long
/// task: what supervision costs a job of long tasks.
struct SupervisorCPU: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor", abstract: "CPU of each worker's parent while the worker runs a long task.")

    @Option(help: "Seconds the task runs.") var seconds = 3.0

    func run() throws {
        try MPIPoolExecutor.run { pool in
            // One long task per worker, all at once; each measures its parent from /proc.
            let percents = try pool.map(
                ParentCPUDuringTask(), Array(repeating: seconds, count: pool.maxWorkers), chunkSize: 1)
            for (index, percent) in percents.enumerated() { figure("supervisor.worker\(index + 1)", percent, "%core") }
            figure("supervisor.cpu", percents.max() ?? 0, "%core")
        }
    }
}

/// Sleeps for the given seconds and returns the share of a core its parent process used meanwhile.
struct ParentCPUDuringTask: RemoteFunction {
    func callAsFunction(_ seconds: Double) -> Double {
        let parent = getppid()
        let before = cpuSeconds(of: parent)
        let clock = ContinuousClock()
        let start = clock.now
        usleep(UInt32(seconds * 1_000_000))
        let elapsed = elapsedSeconds(clock.now - start)
        return (cpuSeconds(of: parent) - before) / elapsed * 100
    }

    /// User and system time of a process, from fields 14 and 15 of /proc/PID/stat.
    private func cpuSeconds(of process: pid_t) -> Double {
        guard let file = fopen("/proc/\(process)/stat", "re") else { return 0 }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return 0 }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The command name may hold spaces; the fields after its closing parenthesis do not.
        guard let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
