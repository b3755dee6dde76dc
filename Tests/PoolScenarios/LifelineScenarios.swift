import Foundation
import SwiftPool

/// Strangers knocking on the lifeline listener, as anyone on the network could: rank 0 finds its
/// own listening TCP sockets the way `ss -ltnp` does, connects to each, and sees what happens.
enum LifelineScenarios {
    static func guardScenario() throws {
        try MPIPoolExecutor.run { pool in
            let before = try FaultScenarios.workers(pool)
            let endpoints = listeningEndpoints()
            Report.fact("guard.listeners", endpoints.map { "\($0.address):\($0.port)" })
            var wrongSecret = [UInt8]("SPLL".utf8) + [3] + [UInt8](repeating: 7, count: 32)
            wrongSecret += [1, 0, 0, 0, 0, 0, 0, 0]
            let garbage = (0..<200).map { _ in UInt8.random(in: 0...255) }
            var refusals: [String: Double?] = [:]
            for endpoint in endpoints {
                let name = "\(endpoint.address):\(endpoint.port)"
                refusals["\(name) wrong secret"] = secondsUntilClosed(endpoint, sending: wrongSecret)
                refusals["\(name) garbage"] = secondsUntilClosed(endpoint, sending: garbage)
                refusals["\(name) silence"] = secondsUntilClosed(endpoint, sending: [])
            }
            Report.fact("guard.closedAfterSeconds", refusals)
            let after = try FaultScenarios.workers(pool)
            Report.fact("guard.sameWorkers", before == after)
            Report.fact("guard.map", try pool.map(Square(), Array(0..<50)) == (0..<50).map { $0 * $0 })
        }
    }

    struct Endpoint {
        var address: String
        var port: Int
    }

    /// This process's listening TCP sockets: the socket inodes among its open descriptors, looked
    /// up in /proc/net/tcp.
    static func listeningEndpoints() -> [Endpoint] {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        var inodes = Set<String>()
        for descriptor in descriptors {
            guard
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)"),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(target.dropFirst(8).dropLast()))
        }
        let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
        var endpoints: [Endpoint] = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // local_address rem_address st ... inode: the state 0A is LISTEN.
            guard fields.count > 9, fields[3] == "0A", inodes.contains(String(fields[9])) else { continue }
            let parts = fields[1].split(separator: ":")
            guard parts.count == 2, let raw = UInt32(parts[0], radix: 16), let port = Int(parts[1], radix: 16) else {
                continue
            }
            // /proc prints the address as the host-order integer of network-order bytes.
            let bytes = [raw & 0xff, raw >> 8 & 0xff, raw >> 16 & 0xff, raw >> 24]
            endpoints.append(Endpoint(address: bytes.map(String.init).joined(separator: "."), port: port))
        }
        return endpoints
    }

    /// Connects, sends `bytes`, and waits up to 5 s for the other side to close; nil if it did not.
    static func secondsUntilClosed(_ endpoint: Endpoint, sending bytes: [UInt8]) -> Double? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(endpoint.port).bigEndian
        address.sin_addr.s_addr = inet_addr(endpoint.address)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        let start = Date()
        if !bytes.isEmpty {
            _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        var buffer = [UInt8](repeating: 0, count: 64)
        while Date().timeIntervalSince(start) < 5 {
            guard poll(&entry, 1, 100) > 0 else { continue }
            if recv(descriptor, &buffer, buffer.count, 0) <= 0 { return Date().timeIntervalSince(start) }
        }
        return nil
    }
}
