import Foundation
import PoolScenarios
import Testing

/// One real `mpirun` job of a program built by this package, with its output, exit status and the
/// `RESULT <name> <json>` facts rank 0 printed.
struct MPIJob {
    var exitCode: Int32
    var standardOutput: String
    var standardError: String
    var seconds: Double
    var timedOut: Bool
    /// Processes the job started that were still running 3 s after it ended (then killed).
    var leftovers: [Int32] = []
    private var facts: [String: Data] = [:]

    /// The folder holding this package's built products (the test bundle sits beside them).
    static var productsFolder: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Runs the scenario program with `arguments` in the plain start and under `mpirun -np 3`,
    /// handing each job to `check` with the launch's name.
    static func inPlainStartAndUnderMPIRun(
        _ arguments: [String], environment: [String: String] = [:], check: (MPIJob, String) throws -> Void
    ) throws {
        try check(try runAlone(scenarios, arguments: arguments, environment: environment), "plain start")
        try check(try run(scenarios, processes: 3, arguments: arguments, environment: environment), "mpirun -np 3")
    }

    /// Runs `program` under `mpirun -np processes`; kills the job after `timeout` seconds.
    static func run(
        _ program: String, processes: Int, arguments: [String] = [], timeout: Double = 90,
        environment: [String: String] = [:], extraMPIArguments: [String] = []
    ) throws -> MPIJob {
        let executable = productsFolder.appendingPathComponent(program).path
        var command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "\(processes)"]
        command += extraMPIArguments + [executable] + arguments
        return try launch(command, timeout: timeout, environment: environment)
    }

    /// Runs a command line (found on PATH) with a time limit. Unless `startsDaemons` (a script
    /// that starts a cluster meant to outlive it), every process the command started and left
    /// running is killed and reported in ``leftovers``.
    static func launch(
        _ command: [String], timeout: Double, environment: [String: String] = [:], startsDaemons: Bool = false
    ) throws -> MPIJob {
        // Keep the pool's own tuning knobs from leaking in from the developer's shell.
        var merged = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWIFTPOOL_") }
        // With munge installed (for the Slurm tests) but its daemon not running, PMIx waits two
        // seconds for it at every start; jobs on one machine need no munge.
        merged["PMIX_MCA_psec"] = "native"
        for (key, value) in environment { merged[key] = value }
        let marker = Leftovers.makeMarker()
        merged[Leftovers.variable] = marker
        let start = Date()
        let child = try ChildProcess.run(command, environment: merged, timeout: timeout)
        let seconds = Date().timeIntervalSince(start)
        var job = MPIJob(
            exitCode: child.status,
            standardOutput: String(decoding: child.standardOutput, as: UTF8.self),
            standardError: String(decoding: child.standardError, as: UTF8.self),
            seconds: seconds,
            timedOut: child.timedOut,
            leftovers: startsDaemons ? [] : Leftovers.collect(marked: marker, grace: 3))
        for line in job.standardOutput.split(whereSeparator: \.isNewline) where line.hasPrefix("RESULT ") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3 else { continue }
            job.facts[String(parts[1])] = Data(parts[2].utf8)
        }
        return job
    }

    /// The fact rank 0 reported under `name`, decoded.
    func fact<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let data = facts[name] else {
            throw MissingFact(name: name, output: standardOutput, errors: standardError)
        }
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// Checks the job ended by itself with exit status 0, showing its output otherwise.
    func expectSuccess(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!timedOut, "job timed out:\n\(standardOutput)\n\(standardError)", sourceLocation: sourceLocation)
        #expect(exitCode == 0, "exit \(exitCode):\n\(standardOutput)\n\(standardError)", sourceLocation: sourceLocation)
    }
}

struct MissingFact: Error, CustomStringConvertible {
    var name: String
    var output: String
    var errors: String
    var description: String { "no RESULT \(name) in the output:\n\(output)\nstderr:\n\(errors)" }
}

/// How a pool operation ended, as the scenarios report it: the scenarios' own type, decoded.
typealias Outcome = Report.Outcome

extension MPIJob {
    /// Runs a program of this package on its own, without mpirun: a singleton that spawns its
    /// workers.
    static func runAlone(
        _ program: String, arguments: [String] = [], timeout: Double = 90, environment: [String: String] = [:]
    ) throws -> MPIJob {
        let executable = productsFolder.appendingPathComponent(program).path
        return try launch([executable] + arguments, timeout: timeout, environment: environment)
    }
}
