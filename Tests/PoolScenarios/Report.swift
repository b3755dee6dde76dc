import Foundation
import SwiftPool

/// How a scenario tells the test what happened: one line per fact, `RESULT <name> <json>`, which
/// the test decodes and checks. Scenarios report what they saw; the tests hold the expectations.
public enum Report {
    static func fact(_ name: String, _ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        // One write per line, unbuffered, so a line is never lost or split when the job ends.
        FileHandle.standardOutput.write(Data("RESULT \(name) \(json)\n".utf8))
    }

    /// How an operation ended, as plain data the test can check (the tests decode this type).
    public struct Outcome: Codable, Sendable {
        /// Whether it returned.
        public var ok: Bool
        /// What it returned, described.
        public var value: String?
        /// The thrown error's type: `PoolError`, `RemoteError` or another.
        public var errorKind: String?
        /// A `PoolError`'s code.
        public var poolCode: String?
        /// The error's description.
        public var message: String?
        /// A `RemoteError`, whole.
        public var remote: RemoteError?
    }

    static func outcome<T>(_ body: () throws -> T) -> Outcome {
        do {
            return Outcome(ok: true, value: "\(try body())")
        } catch {
            return failure(error)
        }
    }

    static func asyncOutcome<T>(_ body: () async throws -> T) async -> Outcome {
        do {
            return Outcome(ok: true, value: "\(try await body())")
        } catch {
            return failure(error)
        }
    }

    static func failure(_ error: any Error) -> Outcome {
        switch error {
        case let error as PoolError:
            Outcome(ok: false, errorKind: "PoolError", poolCode: error.code.rawValue, message: error.description)
        case let error as RemoteError:
            Outcome(ok: false, errorKind: "RemoteError", message: error.description, remote: error)
        default:
            Outcome(ok: false, errorKind: String(reflecting: type(of: error)), message: "\(error)")
        }
    }
}

/// Seconds since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
