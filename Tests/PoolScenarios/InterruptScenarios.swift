import Foundation
import SwiftPool
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

enum InterruptScenarios {
    /// `interrupt SIGNAL group|self|external [async] [slow-save]`: SIGNAL reaches rank 0 (or its
    /// whole process group, as a terminal's Ctrl-C does) in the middle of a map of half-second
    /// tasks; `external` sends nothing and runs long enough (100 s of work) for the signal to come
    /// from outside, as Slurm's walltime warning does. Reports what the program saw, and that it
    /// could still run code to save its partial results (taking 2 s with `external` or `slow-save`).
    static func run(signal: Int32, wholeGroup: Bool, external: Bool, async: Bool, slowSave: Bool = false)
        async throws
    {
        let rounds = external ? 200 : 8
        if async {
            try await MPIPoolExecutor.run { pool in
                FaultScenarios.reportProcesses(try FaultScenarios.workers(pool), as: "interrupt.processes")
                if !external { signalSoon(signal, wholeGroup: wholeGroup) }
                var collected: [Int] = []
                do {
                    for try await value in pool.mapStream(
                        SleepThenEcho(seconds: 0.5), 0..<(pool.maxWorkers * rounds))
                    {
                        collected.append(value)
                    }
                    Report.fact("interrupt.mapEnded", true)
                } catch {
                    Report.fact("interrupt.outcome", Report.failure(error))
                }
                Report.fact("interrupt.bodyCancelled", Task.isCancelled)
                report(pool)
                Report.fact("interrupt.saved", collected.count)
            }
        } else {
            try MPIPoolExecutor.run { pool in
                FaultScenarios.reportProcesses(try FaultScenarios.workers(pool), as: "interrupt.processes")
                if !external { signalSoon(signal, wholeGroup: wholeGroup) }
                do {
                    _ = try pool.map(
                        SleepThenEcho(seconds: 0.5), Array(0..<(pool.maxWorkers * rounds)), chunkSize: 1)
                    Report.fact("interrupt.mapEnded", true)
                } catch {
                    Report.fact("interrupt.outcome", Report.failure(error))
                }
                report(pool)
                Report.fact("interrupt.saved", 0)
            }
        }
        // Code after the pool still runs: where a program writes what it saved. From outside (a
        // batch job's walltime warning), saving takes 2 s here, longer than a launcher that
        // signalled every rank would leave it (mpirun SIGKILLs them all a second later).
        if external || slowSave { usleep(2_000_000) }
        Report.fact("interrupt.returned", Date().timeIntervalSince1970)
    }

    private static func report(_ pool: MPIPoolExecutor) {
        Report.fact("interrupt.signal", MPIPoolExecutor.interruptingSignal)
        Report.fact("interrupt.laterSubmit", Report.outcome { try pool.submit(Square(), 2) })
    }

    private static func signalSoon(_ signal: Int32, wholeGroup: Bool) {
        Thread.detachNewThread {
            // After the first results (tasks take 0.5 s), before the last.
            Thread.sleep(forTimeInterval: 0.8)
            Report.fact("interrupt.at", Date().timeIntervalSince1970)
            fflush(nil)
            kill(wholeGroup ? 0 : getpid(), signal)
        }
    }
}
