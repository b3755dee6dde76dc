import Testing

/// Every test here starts real `mpirun` jobs of the scenario program; they run one at a time so
/// their processes do not fight over this machine's cores and timings stay meaningful.
@Suite("mpirun jobs", .serialized, .timeLimit(.minutes(5)))
struct MPIRunTests {}

/// The process counts every behaviour is checked with: one process (tasks run in-process), one
/// worker, two workers.
let processCounts = [1, 2, 3]

/// The scenario program's product name.
let scenarios = "PoolScenarios"
