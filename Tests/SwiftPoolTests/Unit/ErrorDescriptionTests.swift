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

    @Test("the build fingerprint comes from the executable's build-id note, found in its notes")
    func buildID() throws {
        let id = try #require(BuildFingerprint.buildID())
        #expect(id.count >= 8)
        // A note run: an unrelated note, then the GNU build-id.
        var notes: [UInt8] = []
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { notes += $0 } }
        append32(5)
        append32(4)
        append32(1)
        notes += Array("ABCD\0".utf8) + [0, 0, 0]
        notes += [1, 2, 3, 4]
        append32(4)
        append32(3)
        append32(3)
        notes += Array("GNU\0".utf8)
        notes += [9, 8, 7, 0]
        #expect(notes.withUnsafeBytes { BuildFingerprint.buildID(inNotes: $0) } == [9, 8, 7])
        #expect(notes.prefix(24).withUnsafeBytes { BuildFingerprint.buildID(inNotes: $0) } == nil)
    }
}
