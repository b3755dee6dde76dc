import Foundation

/// Three fake hosts made of network namespaces (mpirun-examples/fake-hosts.sh), created for one
/// test and removed afterwards, processes included, however the test ends.
struct FakeHosts {
    let prefix: String

    /// Why fake hosts cannot be made here, or nil when they can.
    static var unavailableReason: String? {
        if getuid() != 0 { return "network namespaces need root (CI runs as root)" }
        for tool in ["/usr/sbin/ip", "/usr/bin/unshare"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (iproute2, util-linux)"
        }
        return nil
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("mpirun-examples/fake-hosts.sh").path
    }

    /// Creates the hosts, runs `body`, and removes the hosts even when `body` throws.
    static func with<T>(_ body: (FakeHosts) throws -> T) throws -> T {
        let hosts = FakeHosts(prefix: "spt\(getpid() % 100_000)")
        _ = try MPIJob.launch(["bash", script, "down", hosts.prefix], timeout: 30, startsDaemons: true)
        let up = try MPIJob.launch(["bash", script, "up", hosts.prefix], timeout: 30, startsDaemons: true)
        defer { _ = try? MPIJob.launch(["bash", script, "down", hosts.prefix], timeout: 30, startsDaemons: true) }
        guard up.exitCode == 0 else { throw SetupFailed(what: "fake hosts", output: up.standardError) }
        return try body(hosts)
    }

    /// Runs a program of this package over the three hosts with mpirun started inside h1, with
    /// `options` added to mpirun's command line.
    func mpirun(
        _ program: String, processes: Int, arguments: [String] = [], options: [String] = [], timeout: Double = 120,
        environment: [String: String] = [:]
    ) throws -> MPIJob {
        let executable = MPIJob.productsFolder.appendingPathComponent(program).path
        return try MPIJob.launch(
            ["bash", Self.script, "run", prefix, "\(processes)", executable] + arguments, timeout: timeout,
            environment: environment.merging(["MPIRUN_OPTIONS": options.joined(separator: " ")]) { _, fixed in fixed })
    }
}

struct SetupFailed: Error, CustomStringConvertible {
    var what: String
    var output: String
    var description: String { "could not set up \(what): \(output)" }
}
