import Foundation
import Testing

extension MPIRunTests {
    /// As many real worker processes as this 2-core machine holds, five of them SIGKILLed by PID
    /// in the middle of a map: every result right, the pool back to full size, nothing left.
    /// The nightly sizes (512 and `mpirun -np 257`) run with SWIFTPOOL_NIGHTLY=1, as `make bench`
    /// does.
    @Suite("at scale")
    struct ScaleTests {
        static let nightly = ProcessInfo.processInfo.environment["SWIFTPOOL_NIGHTLY"] == "1"

        static func expectSurvived(_ job: MPIJob, workers: Int) throws {
            job.expectSuccess()
            #expect(try job.fact("scale.workersBefore", as: Int.self) == workers)
            #expect(try job.fact("scale.correct", as: Bool.self), "the map lost or mixed up results")
            #expect(try job.fact("scale.killedDuringMap", as: Bool.self), "the kills did not land mid-map")
            #expect(try job.fact("scale.victimsGone", as: Bool.self))
            #expect(try job.fact("scale.workersAfter", as: Int.self) == workers, "the pool did not get back to size")
            #expect(try job.fact("scale.workerCount", as: Int.self) == workers)
            #expect(job.leftovers.isEmpty, "processes left running: \(job.leftovers)")
        }

        @Test("plain start with 256 workers, 5 SIGKILLed mid-map: every result right, back to 256, nothing left")
        func plainStart256() throws {
            let job = try MPIJob.runAlone(
                scenarios, arguments: ["scale-kill", "5"], timeout: 300, environment: ["SWIFTPOOL_WORKERS": "256"])
            try Self.expectSurvived(job, workers: 256)
        }

        @Test("mpirun -np 129 with no flag: 128 workers, 5 SIGKILLed mid-map: every result right, back to 128")
        func mpirun129() throws {
            let job = try MPIJob.run(scenarios, processes: 129, arguments: ["scale-kill", "5"], timeout: 400)
            try Self.expectSurvived(job, workers: 128)
        }

        @Test(
            "nightly: plain start with 512 workers and mpirun -np 257, 5 SIGKILLed mid-map each",
            .enabled(if: nightly, "runs with SWIFTPOOL_NIGHTLY=1 (make bench)"))
        func nightlySizes() throws {
            let plain = try MPIJob.runAlone(
                scenarios, arguments: ["scale-kill", "5"], timeout: 900, environment: ["SWIFTPOOL_WORKERS": "512"])
            try Self.expectSurvived(plain, workers: 512)
            let launched = try MPIJob.run(scenarios, processes: 257, arguments: ["scale-kill", "5"], timeout: 900)
            try Self.expectSurvived(launched, workers: 256)
        }
    }
}
