import Testing

extension MPIRunTests {
    /// Tasks across three hosts made of network namespaces, launched with mpirun and a hostfile.
    @Suite("across hosts", .enabled(if: FakeHosts.unavailableReason == nil, "\(FakeHosts.unavailableReason ?? "")"))
    struct MultiHostTests {
        @Test("tasks run on all three hosts, results come back, and a remote error names its host")
        func threeHosts() throws {
            try FakeHosts.with { hosts in
                let job = try hosts.mpirun(scenarios, processes: 4, arguments: ["start"])
                job.expectSuccess()
                #expect(try job.fact("start.workers", as: Int.self) == 3)
                #expect(try job.fact("start.hosts", as: [String].self) == ["h1", "h2", "h3"])
                #expect(try job.fact("start.ranks", as: [Int].self) == [1, 2, 3])
                #expect(try job.fact("start.failingHost", as: String.self) == "h3")
                let error = try job.fact("start.hostError", as: Outcome.self)
                #expect(error.remote?.host == "h3")
                #expect(error.message?.contains("(h3)") == true)
            }
        }

        @Test("the map and many-task scenarios pass across hosts")
        func scenariosAcrossHosts() throws {
            try FakeHosts.with { hosts in
                let map = try hosts.mpirun(scenarios, processes: 4, arguments: ["map"])
                map.expectSuccess()
                #expect(try map.fact("map.chunk1", as: [Int].self) == (0..<37).map { $0 * $0 })
                let many = try hosts.mpirun(scenarios, processes: 4, arguments: ["many-tasks"])
                many.expectSuccess()
                #expect(try many.fact("many.resolvedOnce", as: Int.self) == 10_000)
            }
        }
    }
}
