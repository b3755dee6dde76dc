import Testing

@testable import SwiftPool

@Suite("error descriptions")
struct ErrorDescriptionTests {
    @Test("a remote error names the function, where it ran and what it said")
    func remoteError() {
        let error = RemoteError(
            function: "App.Parse", rank: 2, host: "node7", errorType: "App.BadInput", message: "line 3")
        #expect("\(error)" == "App.Parse threw App.BadInput on rank 2 (node7): line 3")
    }

    @Test("pool errors say what happened and what to do")
    func poolErrors() {
        #expect("\(PoolError.shutDown("submit a task"))".contains("create a new pool"))
        #expect("\(PoolError.timedOut("map", after: .seconds(2)))".contains("map did not finish within 2.0 seconds"))
        #expect("\(PoolError.tooManyEntries)".contains("more than 4294967295 entries"))
        #expect(PoolError.cancelled.code == .cancelled)
    }

    @Test("a container past 2^32 - 1 entries is payloadTooLarge, named with what could not be sent")
    func tooManyEntries() throws {
        let buffer = WireBuffer()
        let container = ValueWriter(buffer: buffer).openContainer(.unkeyed)
        container.count = OpenContainer.maximumEntries - 1
        try container.didAddEntry(in: buffer)
        #expect(throws: PoolError.self) { try container.didAddEntry(in: buffer) }
        let nested = ValueWriter(buffer: buffer).openContainer(.unkeyed)
        nested.count = OpenContainer.maximumEntries
        nested.didAddEntryWithoutThrowing(in: buffer)
        #expect(nested.count == OpenContainer.maximumEntries)
        #expect(throws: PoolError.self) { try nested.didAddEntry(in: buffer) }
        let named = encodingFailed("the result of F", PoolError.tooManyEntries)
        #expect(named.code == .payloadTooLarge)
        #expect(named.message.hasPrefix("the result of F cannot be sent: a container"))
    }

    @Test("a function type that cannot be found by name is refused before anything is sent")
    func unfindableType() {
        struct Local: RemoteFunction {
            func callAsFunction(_ x: Int) -> Int { x }
        }
        #expect {
            try FunctionLookup.checkFindable(Local.self)
        } throws: { ($0 as? PoolError)?.code == .unknownFunctionType }
        #expect((try? FunctionLookup.checkFindable(Doubler.self)) != nil)
    }
}

struct Doubler: RemoteFunction {
    func callAsFunction(_ x: Int) -> Int { 2 * x }
}
