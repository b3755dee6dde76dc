#if canImport(Glibc)
    import Glibc
#endif

/// Where a pool's workers come from.
///
/// - `world` mode: the program was started by a launcher (`mpirun -np N`, `srun`), and ranks
///   1..N-1 of `MPI_COMM_WORLD` are the workers. A single launched process runs tasks in-process.
/// - `spawn` mode: the program was started on its own (a singleton), and the first pool starts
///   its workers with `MPI_Comm_spawn`: copies of this executable, which find their parent with
///   `MPI_Comm_get_parent` and serve.
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

    /// Called before `MPI_Init_thread` in every process, for settings the user has not made
    /// either way, in a singleton that will spawn its workers:
    /// - one worker per core needs more slots than Open MPI counts (the cores, rank 0 included),
    ///   so allow oversubscription;
    /// - PMIx authenticates through munge when munge is installed, and waits about two seconds
    ///   for it when its daemon is not running; processes on one machine need no munge, so use
    ///   PMIx's native security;
    /// - without Open MPI's recovery, a spawned worker that dies hangs its parent for good; with
    ///   it, the parent carries on and can spawn a replacement.
    ///
    /// Open MPI's TCP progress thread (`btl_tcp_progress_thread`) stays off: in 4.1 it can hand a
    /// peer's first message to a handler not yet registered while `MPI_Init_thread` runs, and the
    /// process crashes (open-mpi/ompi#5902 has more of its crashes): 3 `srun` jobs of 27 here
    /// with it, none of 37 without.
    static func prepareEnvironment() {
        guard !startedByLauncher, let mode = try? mode(), shouldSpawn(mode: mode) else { return }
        setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0)
        setenv("PMIX_MCA_psec", "native", 0)
        setenv("OMPI_MCA_orte_enable_recovery", "1", 0)
    }

    /// Says once, on rank 0, when the launcher will end the whole job as soon as one worker dies,
    /// and how to start it so the pool carries on instead.
    static func warnIfDeathsEndTheJob(workers: Int) {
        guard startedByLauncher, let advice = deathsEndTheJob else { return }
        RuntimeLog.warning("\(advice)")
    }

    /// Writes rank 0's exit status to the file `SWIFTPOOL_EXIT_STATUS_FILE` names, if any. With
    /// recovery on, Open MPI 4.1's mpirun exits 0 whatever its processes return, and srun
    /// returns the worst status of any task, a killed worker's included; a launch script reads
    /// the program's own status from this file (mpirun-examples/swiftpool.sbatch does).
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
        guard let file = fopen("/proc/\(process)/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Why a worker's death would end this job, with the remedy; nil when the pool survives it.
    static var deathsEndTheJob: String? {
        if environment("OMPI_COMM_WORLD_SIZE") != nil {
            let recovery = environment("OMPI_MCA_orte_enable_recovery")?.lowercased() ?? "0"
            guard !["1", "true", "yes", "enabled"].contains(recovery) else { return nil }
            return "a worker that dies will end this whole job, because mpirun was started without "
                + "--enable-recovery; add it to keep the pool going on the other workers"
        }
        return nil
    }

    /// How many workers to spawn by default: one per core this process may run on (its CPU
    /// affinity, which honours `taskset` and cgroup cpusets). A launcher such as mpirun binds its
    /// processes to single cores, which says nothing about the machine, so then every online core.
    static var defaultSpawnCount: Int {
        if !startedByLauncher, let allowed = allowedCPUList(), allowed > 0 { return allowed }
        return max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
    }

    /// Counts the CPUs in `Cpus_allowed_list` of /proc/self/status ("0-3,6").
    private static func allowedCPUList() -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
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
