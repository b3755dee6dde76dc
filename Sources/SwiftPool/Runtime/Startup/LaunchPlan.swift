#if canImport(Glibc)
    import Glibc
#endif

/// Where a pool's workers come from. Either way, the processes that run tasks are worker
/// processes started with `posix_spawn` (``WorkerRecruiter``), never MPI processes.
///
/// - `world` mode: the program was started by a launcher (`mpirun -np N`, `srun`); ranks 1..N-1
///   of `MPI_COMM_WORLD` are supervisors, each starting and watching one worker process. A single
///   launched process runs tasks in-process.
/// - `spawn` mode: the program was started on its own, and the first pool's rank 0 starts its
///   worker processes itself, without MPI: the plain start.
///
/// `SWIFTPOOL_LAUNCH` chooses: `auto` (the default: spawn when started on its own, world when
/// started by a launcher), `world` (never spawn) or `spawn` (spawn even under `mpirun -np 1`).
enum LaunchPlan {
    enum Mode: String {
        case auto, world, spawn
    }

    static func mode() throws -> Mode {
        guard let text = PoolSettings.launch, !text.isEmpty else { return .auto }
        guard let mode = Mode(rawValue: text.lowercased()) else {
            throw PoolError(
                .invalidArgument, "SWIFTPOOL_LAUNCH is \"\(text)\"; use auto (the default), world or spawn")
        }
        return mode
    }

    /// Whether a launcher started this process: Open MPI's mpirun, or PMIx/PMI as under `srun`.
    /// Read once, before MPI starts: a singleton's own MPI start-up sets the same variables.
    static let startedByLauncher: Bool = {
        ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains { environment($0) != nil }
    }()

    /// Whether a process that is alone in `MPI_COMM_WORLD` should spawn its workers.
    static func shouldSpawn(mode: Mode) -> Bool {
        switch mode {
        case .spawn: true
        case .world: false
        case .auto: !startedByLauncher
        }
    }

    /// Writes rank 0's exit status to the file `SWIFTPOOL_EXIT_STATUS_FILE` names, if any. With
    /// recovery on, Open MPI 4.1's mpirun exits 0 whatever its processes return, and a launcher
    /// that kills rank 0 after the signal hides it; a launch script reads the program's own status
    /// from this file (mpirun-examples/swiftpool.sbatch does).
    static func recordExitStatus(_ status: Int32) {
        guard let path = PoolSettings.exitStatusFile else { return }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        var text = "\(status)\n"
        text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    /// Ends the `mpirun` that started this process when it would otherwise wait forever: with
    /// recovery on, Open MPI 4.1's mpirun waits for every daemon to report its processes' end, and
    /// the daemon of a host that dropped off the network never can. All work is done and every
    /// reachable worker has exited by now. Two SIGTERMs are mpirun's own "abort, then force"; it
    /// then exits with status 1. Only when this process is mpirun's child (rank 0 on mpirun's host).
    static func releaseLauncher(waitingFor hosts: [String]) {
        guard !hosts.isEmpty, environment("OMPI_COMM_WORLD_SIZE") != nil else { return }
        let launcher = getppid()
        guard let name = processName(launcher), ["mpirun", "mpiexec", "orterun"].contains(name) else { return }
        printToStandardError(
            "SwiftPool: contact with host \(hosts.joined(separator: ", ")) was lost; mpirun would wait for its "
                + "daemon forever, so rank 0 ends mpirun now (mpirun then exits with status 1)")
        fflush(nil)
        sleepNanos(200_000_000)  // mpirun forwards this process's output: let it pass first
        signal(SIGTERM, SIG_IGN)
        kill(launcher, SIGTERM)
        sleepNanos(200_000_000)
        kill(launcher, SIGTERM)
    }

    private static func processName(_ process: pid_t) -> String? {
        guard let file = fopen("/proc/\(process)/comm", "re") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// How many workers to spawn by default: one per core this process may run on (its CPU
    /// affinity, which honours `taskset` and cgroup cpusets). A launcher such as mpirun binds its
    /// processes to single cores, which says nothing about the machine, so then every online core.
    static var defaultSpawnCount: Int {
        if !startedByLauncher, let allowed = allowedCPUList(), allowed > 0 { return allowed }
        return max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
    }

    /// `SWIFTPOOL_WORKERS`: the workers a pool uses when its code names no `maxWorkers` (in the
    /// plain start, how many are started); nil when unset.
    static func configuredWorkers() throws(PoolError) -> Int? {
        guard let text = PoolSettings.workers?.filter({ !$0.isWhitespace }), !text.isEmpty else { return nil }
        guard let count = Int(text), (1...4096).contains(count) else {
            throw PoolError(
                .invalidArgument,
                "SWIFTPOOL_WORKERS is \"\(text)\"; use a number of workers from 1 to 4096, or unset it for one per core"
            )
        }
        return count
    }

    /// How many worker processes this rank supervises under a launcher: `SWIFTPOOL_WORKERS_PER_RANK`,
    /// a number, or `cores` for one per CPU in this process's affinity (what the launcher gave it:
    /// `srun --cpus-per-task=64`, `mpirun --bind-to none`); 1 when unset.
    static func workersPerRank() throws(PoolError) -> Int {
        guard let text = PoolSettings.workersPerRank?.filter({ !$0.isWhitespace }), !text.isEmpty else { return 1 }
        if text.lowercased() == "cores", let allowed = allowedCPUList(), allowed > 0 { return allowed }
        guard let count = Int(text), (1...4096).contains(count) else {
            throw PoolError(
                .invalidArgument,
                "SWIFTPOOL_WORKERS_PER_RANK is \"\(text)\"; use a number of workers from 1 to 4096, or cores "
                    + "(one per CPU this rank may run on)")
        }
        return count
    }

    /// Counts the CPUs in `Cpus_allowed_list` of /proc/self/status ("0-3,6").
    private static func allowedCPUList() -> Int? {
        guard let file = fopen("/proc/self/status", "re") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("Cpus_allowed_list:") else { continue }
            var count = 0
            for range in text.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
                let bounds = range.split(separator: "-").compactMap { Int($0.filter(\.isNumber)) }
                if bounds.count == 2 { count += bounds[1] - bounds[0] + 1 } else if bounds.count == 1 { count += 1 }
            }
            return count
        }
        return nil
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
