import SwiftPool

#if canImport(Glibc)
    import Glibc
#endif

/// Reads one entry of a table shared with the pool, and says which worker read it.
struct SharedLookup: RemoteFunction {
    var table: Shared<[Double]>
    func callAsFunction(_ index: Int) -> LookedUp { LookedUp(value: table.value[index], worker: .here) }
}

/// The same lookup with the table as a plain stored property: it travels with every task.
struct PlainLookup: RemoteFunction {
    var table: [Double]
    func callAsFunction(_ index: Int) -> LookedUp { LookedUp(value: table[index], worker: .here) }
}

struct LookedUp: Codable, Sendable {
    var value: Double
    var worker: WorkerIdentity
}

/// A shared value that is not an array of numbers: a user's own type, travelling in the frame.
struct Glossary: Codable, Sendable {
    var words: [String: String]
    var version: Int
}

struct Translate: RemoteFunction {
    var glossary: Shared<Glossary>
    func callAsFunction(_ word: String) -> String { "\(glossary.value.words[word] ?? "?") v\(glossary.value.version)" }
}
