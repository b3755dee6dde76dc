import Foundation

/// Finds the processes a test's job left behind. Every job gets a marker in its environment,
/// which every process it starts inherits (mpirun's daemons, spawned workers, Slurm tasks), so the
/// leftovers are found by marker and ended by PID, never by name.
enum Leftovers {
    /// A marker for one job, unique in this machine's lifetime of test runs.
    static func makeMarker() -> String { "\(getpid())-\(UUID().uuidString)" }

    static let variable = "SWIFTPOOL_TEST_JOB"

    /// Live (not zombie) processes carrying the marker.
    static func processes(marked marker: String) -> [Int32] {
        let needle = Array("\(variable)=\(marker)".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard pid != getpid(), isAlive(pid),
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return false }
            return environment.split(separator: 0).contains { Array($0) == needle }
        }
    }

    /// Whether the process exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// Waits up to `grace` seconds for the marked processes to end, then kills and reports those
    /// that did not.
    static func collect(marked marker: String, grace: Double) -> [Int32] {
        let deadline = Date().addingTimeInterval(grace)
        var left = processes(marked: marker)
        while !left.isEmpty && Date() < deadline {
            usleep(50_000)
            left = processes(marked: marker)
        }
        for pid in left { kill(pid, SIGKILL) }
        return left
    }
}
