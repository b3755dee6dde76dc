import Foundation

/// A real three-node Slurm cluster on fake hosts (mpirun-examples/slurm-cluster.sh), started for
/// one test and stopped afterwards, daemons and namespaces included, however the test ends.
struct SlurmCluster {
    let prefix: String

    /// Why a Slurm cluster cannot be started here, or nil when it can.
    static var unavailableReason: String? {
        if let reason = FakeHosts.unavailableReason { return reason }
        for tool in [
            "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/sbin/munged", "/usr/bin/nsenter",
        ]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is missing (install slurm-wlm and munge: scripts/install-deps.sh slurm-wlm munge)"
        }
        return nil
    }

    static var script: String {
        URL(fileURLWithPath: FakeHosts.script).deletingLastPathComponent().appendingPathComponent("slurm-cluster.sh")
            .path
    }

    static var batchScript: String {
        URL(fileURLWithPath: FakeHosts.script).deletingLastPathComponent().appendingPathComponent("swiftpool.sbatch")
            .path
    }

    /// Starts the cluster, runs `body`, and stops the cluster even when `body` throws.
    static func with<T>(_ body: (SlurmCluster) throws -> T) throws -> T {
        let cluster = SlurmCluster(prefix: "sps\(getpid() % 100_000)")
        _ = try MPIJob.launch(["bash", script, "down", cluster.prefix], timeout: 60, startsDaemons: true)
        let up = try MPIJob.launch(["bash", script, "up", cluster.prefix], timeout: 120, startsDaemons: true)
        defer { _ = try? MPIJob.launch(["bash", script, "down", cluster.prefix], timeout: 60, startsDaemons: true) }
        guard up.exitCode == 0 else {
            throw SetupFailed(what: "a Slurm cluster", output: up.standardOutput + up.standardError)
        }
        return try body(cluster)
    }

    /// Submits swiftpool.sbatch for a program of this package and waits for the job to end.
    ///
    /// A job that hangs is ended by Slurm itself: unless `sbatchOptions` set a time limit, it gets
    /// 3 minutes (the script's walltime warning then comes after about one), well before
    /// `timeout`. Should the wait still time out, what the job printed so far is shown.
    ///
    /// Under `srun`, Open MPI 4.1's TCP transport now and then takes a peer's first message
    /// before its own `MPI_Init_thread` has registered the handler for it, and the process
    /// segfaults inside `MPI_Init_thread` (a core showed the null handler for ob1's match tag,
    /// 0x41, called from mca_btl_tcp.so); the job then dies or hangs before SwiftPool has run a
    /// line of the pool. Such a job, and only such a job, is submitted once more, and says so.
    func submit(
        _ program: String, arguments: [String], launcher: String, nodes: Int = 3, tasks: Int = 4, timeout: Double = 240,
        sbatchOptions: [String] = [], environment: [String: String] = [:]
    ) throws -> MPIJob {
        let submitOnce = {
            try self.submitOnce(
                program, arguments: arguments, launcher: launcher, nodes: nodes, tasks: tasks, timeout: timeout,
                sbatchOptions: sbatchOptions, environment: environment)
        }
        let job = try submitOnce()
        guard launcher == "srun", Self.crashedBeforeThePoolStarted(job) else { return job }
        print(
            "SlurmCluster: an srun job crashed inside MPI_Init_thread; submitting it again. Its output:\n\(job.standardOutput)"
        )
        return try submitOnce()
    }

    /// A process of the job segfaulted before rank 0 reported anything: no `RESULT` line, while
    /// every scenario these tests submit prints one as soon as its pool has started.
    private static func crashedBeforeThePoolStarted(_ job: MPIJob) -> Bool {
        let output = job.standardOutput + job.standardError
        return !output.contains("RESULT ")
            && (output.contains("Segmentation fault") || output.contains("Program crashed"))
    }

    private func submitOnce(
        _ program: String, arguments: [String], launcher: String, nodes: Int, tasks: Int, timeout: Double,
        sbatchOptions: [String], environment: [String: String]
    ) throws -> MPIJob {
        let executable = MPIJob.productsFolder.appendingPathComponent(program).path
        let output = "/tmp/\(prefix)-slurm/job-\(UUID().uuidString).out"
        let limit = sbatchOptions.contains { $0.hasPrefix("--time") } ? [] : ["--time=3"]
        var job = try MPIJob.launch(
            ["bash", Self.script, "submit", prefix, "--nodes=\(nodes)", "--ntasks=\(tasks)"] + limit + sbatchOptions
                + [Self.batchScript, executable] + arguments,
            timeout: timeout,
            environment: environment.merging([
                "LAUNCHER": launcher, "JOB_OUTPUT": output,
                // The fake hosts talk over their veth only, and share two cores.
                "OMPI_MCA_btl": "tcp,self", "OMPI_MCA_btl_tcp_if_include": "eth0",
                "OMPI_MCA_oob_tcp_if_include": "eth0", "OMPI_MCA_hwloc_base_binding_policy": "none",
            ]) { _, fixed in fixed })
        if job.timedOut, let printed = try? String(contentsOfFile: output, encoding: .utf8) {
            job.standardOutput += "(the job's output so far)\n" + printed
        }
        return job
    }
}
