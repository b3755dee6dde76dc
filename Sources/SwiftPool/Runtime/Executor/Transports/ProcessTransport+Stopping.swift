#if canImport(Glibc)
    import Glibc
#endif

/// How the job's worker processes are stopped as the program ends.
extension ProcessTransport {
    /// Sends every worker (plain start) or supervisor (under a launcher) still alive its stop frame
    /// and waits, a few seconds at most, for the sends to complete. Returns whether the job can end
    /// with `MPI_Finalize`: only when no supervisor was lost, since finalizing waits for every MPI
    /// process forever. (A lost worker is no obstacle: it never was an MPI process.) After an
    /// interruption the plain start's workers are killed by PID at once, rather than waiting for
    /// tasks nobody will read.
    func stopWorkers(interrupted: Bool, for scheduler: Scheduler) -> Bool {
        lifelines.beginStopping()
        let clean = scheduler.workers.lostSupervisors.isEmpty && !hasFailed && !interrupted
        let stop = FrameEncoder.stop(clean ? .finalize : .exitNow).bytes
        var pending = operations.sends.map(\.send)
        var streams: [FrameStream] = []
        // Workers rank 0 reaches through shared memory (its own, or those on its host) get their
        // stop from rank 0, the one writer of their rings.
        for worker in scheduler.workers where worker.isAlive {
            guard case .sharedMemory(let stream) = channels[worker.channel].link else { continue }
            stream.send(OutgoingFrame(bytes: stop))
            streams.append(stream)
        }
        if case .mpi(let job) = mode {
            guard !hasFailed else { return false }
            for source in 1..<job.peers.count where !scheduler.workers.lostSupervisors.contains(source) {
                if let send = try? job.communicator.startSend(
                    stop.bytes, keepingAlive: stop, to: source, tag: MessageTag.frame)
                {
                    pending.append(send)
                }
            }
        }
        operations.sends.removeAll()
        let deadline = monotonicNanos() &+ 5_000_000_000
        var allSent = true
        for stream in streams {
            // A worker that has stopped reading (it is dying, or still sending a big reply)
            // leaves the rest here; the deadline bounds the wait.
            while !stream.flush().isDone {
                if monotonicNanos() >= deadline {
                    allSent = false
                    break
                }
                sleepNanos(50_000)
            }
        }
        for send in pending {
            while (try? send.isComplete()) != true {
                if monotonicNanos() >= deadline {
                    allSent = false
                    break
                }
                sleepNanos(50_000)
            }
        }
        if interrupted, case .spawned = mode {
            for worker in scheduler.workers where worker.isAlive && worker.processID > 0 {
                kill(worker.processID, SIGKILL)
            }
        }
        return clean && allSent
    }
}
