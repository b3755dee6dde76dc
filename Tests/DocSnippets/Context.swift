// What the docs' code blocks use without declaring it: a pool, some data, and the types their
// prose describes. Only type-checked, with Generated.swift (`make doc-snippets`); never run.
import Foundation
import SwiftPool
import Synchronization

/// The docs' "and so on": never returns, so it stands for any code.
func elided() -> Never { fatalError("a documentation placeholder") }

nonisolated(unsafe) var pool: MPIPoolExecutor { elided() }
nonisolated(unsafe) var future: Future<Int> { elided() }
let futures: [Future<Int>] = []
let data: [Double] = []
let items: [Int] = []
let inputs: [[Double]] = []
let indices: [Int] = []
let bigTable: [Double] = []
let cases: [Case] = []
let jobs: [Scene] = []
let scenes: [Scene] = []
let frames: [Frame] = []
let banner = ""
nonisolated(unsafe) var baseline: [Double] = []
nonisolated(unsafe) var results: [Outcome] = []
let partialResults: [Outcome] = []

func runSerially() -> [Double] { [] }
func run(_ pool: MPIPoolExecutor) throws {}
func save<T>(_ results: [T]) throws {}

struct Case: Codable, Sendable {}
typealias Scene = Case
struct Record: Codable, Sendable {}
struct Outcome: Codable, Sendable {}
typealias Output = Outcome
struct Sample: Codable, Sendable { var count: Int }
struct ModelNotLoaded: Error {}

struct Frame: Codable, Sendable {
    func write(into folder: String) throws {}
    func write(to folder: String) throws {}
}

struct Model: Codable, Sendable {
    init(contentsOf path: String) throws {}
    static func loadShared(from path: String = "") throws {}
    func predict(_ input: [Double]) -> Double { 0 }
}

struct Square: RemoteFunction {
    func callAsFunction(_ x: Int) -> Int { x * x }
}

struct Scale: RemoteFunction {
    var factor: Double
    func callAsFunction(_ x: Double) -> Double { x * factor }
}

struct Hostname: ArgumentlessRemoteFunction {
    func callAsFunction() -> String { PoolProcess.hostName }
}

struct LoadModel: ArgumentlessRemoteAction {
    var path: String
    func callAsFunction() throws { try Model.loadShared(from: path) }
}

struct Slow: RemoteFunction {
    func callAsFunction(_ item: Int) -> Int { item }
}

struct Render: RemoteFunction {
    func callAsFunction(_ scene: Scene) -> [UInt8] { [] }
}

struct Simulate: RemoteFunction {
    func callAsFunction(_ input: Case) -> Outcome { Outcome() }
}
