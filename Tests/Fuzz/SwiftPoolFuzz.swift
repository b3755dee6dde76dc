// The wire's fuzzer: seeded, replayable cases over every decoder entry point and both frame
// paths, run in child processes with a memory cap and a watchdog, so a crash, an allocation
// bomb or a hang is reported, with the case cut down to what still fails, instead of killing
// the run.
//
//   swift run SwiftPoolFuzz --seconds 30              the short campaign CI runs
//   swift run SwiftPoolFuzz --decodes 10000000        a long one (make fuzz)
//   swift run SwiftPoolFuzz --replay SEED:INDEX       one case again
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

@main
struct SwiftPoolFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fuzz SwiftPool's wire decoder and frame readers.")

    @Option(help: "Stop after this many seconds.") var seconds: Double?
    @Option(help: "Stop after at least this many decodes.") var decodes: Int?
    @Option(help: "The campaign's seed.") var seed: UInt64 = 1
    @Option(help: "Cases per child process.") var batch = 4000
    @Option(help: "Memory cap of a child, in MiB of address space.") var memoryMiB = 3072
    @Option(help: "Seconds a child may run before it counts as hung.") var watchdog: UInt32 = 60
    @Option(help: "Replay one case, SEED:INDEX, in this process.") var replay: String?
    @Option(help: "(internal) Run cases FIRST..<END in this process.") var cases: String?
    @Option(help: "(internal) Run one input, TARGET:HEX, in this process.") var input: String?

    func run() throws {
        let targets = Targets.all
        if let cases { return runCases(cases, targets: targets) }
        if let input { return runInput(input, targets: targets) }
        if let replay {
            let parts = replay.split(separator: ":").compactMap { UInt64($0) }
            guard parts.count == 2 else { throw ValidationError("--replay takes SEED:INDEX") }
            let (target, bytes) = Mutator.makeCase(seed: parts[0], index: parts[1], targets: targets)
            say("case \(replay): target \(targets[target].name), \(bytes.count) bytes: \(hex(bytes))")
            targets[target].run(bytes)
            say("no crash")
            return
        }
        try campaign(targets: targets)
    }

    private func campaign(targets: [FuzzTarget]) throws {
        let limitSeconds = seconds ?? (decodes == nil ? 30 : .infinity)
        let start = Date()
        var next: UInt64 = 0
        var decodeCount = 0
        var lastReport = start
        say("SwiftPoolFuzz: seed \(seed), \(targets.count) targets, \(batch) cases per child, \(memoryMiB) MiB cap")
        while Date().timeIntervalSince(start) < limitSeconds && decodeCount < (decodes ?? .max) {
            let end = next + UInt64(batch)
            if let failure = child(["--cases", "\(next)..<\(end)"]) {
                try report(failure, first: next, end: end, targets: targets)
                throw ExitCode(1)
            }
            for index in next..<end {
                decodeCount += targets[Mutator.makeCase(seed: seed, index: index, targets: targets).target].decodes
            }
            next = end
            if Date().timeIntervalSince(lastReport) >= 5 {
                lastReport = Date()
                say("  \(next) cases, \(decodeCount) decodes, \(Int(Date().timeIntervalSince(start))) s")
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        say(
            "SwiftPoolFuzz: found nothing in \(next) cases, \(decodeCount) decodes, \(Int(elapsed)) s "
                + "(\(Int(Double(decodeCount) / max(elapsed, 0.001))) decodes/s), seed \(seed)")
    }

    // MARK: Child processes

    /// Runs this program with `arguments` in a child with the memory cap and the watchdog; nil when
    /// it ended well, otherwise how it ended.
    private func child(_ arguments: [String]) -> String? {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // ulimit -v caps the address space (an allocation bomb fails, and traps); timeout is the watchdog.
        let quoted = ([executable] + arguments + ["--seed", "\(seed)"]).map { "'\($0)'" }.joined(separator: " ")
        process.arguments = ["-c", "ulimit -v \(memoryMiB * 1024); exec timeout -s KILL \(watchdog) \(quoted)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "could not start: \(error)" }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal { return "killed by signal \(process.terminationStatus)" }
        if process.terminationStatus == 137 { return "hung (watchdog, \(watchdog) s)" }
        return process.terminationStatus == 0 ? nil : "exited with status \(process.terminationStatus)"
    }

    private func runCases(_ range: String, targets: [FuzzTarget]) {
        let parts = range.components(separatedBy: "..<").compactMap { UInt64($0) }
        guard parts.count == 2 else { return }
        for index in parts[0]..<parts[1] {
            let (target, bytes) = Mutator.makeCase(seed: seed, index: index, targets: targets)
            targets[target].run(bytes)
        }
    }

    private func runInput(_ input: String, targets: [FuzzTarget]) {
        let parts = input.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let target = Int(parts[0]) else { return }
        targets[target].run(unhex(String(parts[1])))
    }

    // MARK: Reporting

    /// Finds the failing case of a batch by halving it, cuts its bytes down, and prints both.
    private func report(_ failure: String, first: UInt64, end: UInt64, targets: [FuzzTarget]) throws {
        var (low, high) = (first, end)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if child(["--cases", "\(low)..<\(middle)"]) != nil { high = middle } else { low = middle }
        }
        let (target, bytes) = Mutator.makeCase(seed: seed, index: low, targets: targets)
        let how = child(["--input", "\(target):\(hex(bytes))"]) ?? failure
        var smallest = bytes
        var chunk = max(smallest.count / 2, 1)
        while chunk >= 1 {
            var offset = 0
            while offset < smallest.count {
                var candidate = smallest
                candidate.removeSubrange(offset..<min(offset + chunk, candidate.count))
                if child(["--input", "\(target):\(hex(candidate))"]) != nil {
                    smallest = candidate
                } else {
                    offset += chunk
                }
            }
            chunk /= 2
        }
        say("SwiftPoolFuzz: FOUND: case \(seed):\(low), target \(targets[target].name): \(how)")
        say("  input (\(bytes.count) bytes): \(hex(bytes))")
        say("  minimized (\(smallest.count) bytes): \(hex(smallest))")
        say("  replay: swift run SwiftPoolFuzz --replay \(seed):\(low)")
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func unhex(_ text: String) -> [UInt8] {
    let digits = Array(text)
    return stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
}

/// Writes a line at once: a campaign's progress must show while it runs, even into a file.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
