#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 address and TCP port: where rank 0's lifeline listener can be reached.
struct IPv4Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The address in network byte order, as `in_addr.s_addr` holds it.
    var address: UInt32
    /// The port in host byte order.
    var port: UInt16

    static let loopback = IPv4Endpoint(address: inet_addr("127.0.0.1"), port: 0)

    var isLoopback: Bool { UInt32(bigEndian: address) >> 24 == 127 }

    var description: String {
        let host = UInt32(bigEndian: address)
        return "\(host >> 24).\(host >> 16 & 0xff).\(host >> 8 & 0xff).\(host & 0xff):\(port)"
    }

    func withPort(_ port: UInt16) -> IPv4Endpoint { IPv4Endpoint(address: address, port: port) }

    /// The endpoint as a `sockaddr_in`, for bind and connect.
    var socketAddress: sockaddr_in {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr = in_addr(s_addr: address)
        return socketAddress
    }

    init(address: UInt32, port: UInt16) {
        self.address = address
        self.port = port
    }

    init(_ socketAddress: sockaddr_in) {
        address = socketAddress.sin_addr.s_addr
        port = UInt16(bigEndian: socketAddress.sin_port)
    }

    /// The IPv4 addresses of this host's interfaces that are up, loopback excluded: what a worker
    /// tells rank 0 so that rank 0 can find which of its own addresses reaches it.
    static func hostAddresses(limit: Int) -> [UInt32] {
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var addresses: [UInt32] = []
        var entry = list
        while let current = entry?.pointee, addresses.count < limit {
            entry = current.ifa_next
            guard let socketAddress = current.ifa_addr, socketAddress.pointee.sa_family == sa_family_t(AF_INET),
                current.ifa_flags & UInt32(IFF_UP) != 0, current.ifa_flags & UInt32(IFF_LOOPBACK) == 0
            else { continue }
            let address = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                $0.pointee.sin_addr.s_addr
            }
            if !addresses.contains(address) { addresses.append(address) }
        }
        return addresses
    }

    /// The address of this host that the kernel would send from to reach `destination`, or nil
    /// when there is no route. A UDP socket's `connect` only consults the routing table: nothing
    /// is sent.
    static func sourceAddress(toward destination: UInt32) -> UInt32? {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var target = IPv4Endpoint(address: destination, port: 9).socketAddress
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        return local.sin_addr.s_addr
    }
}
