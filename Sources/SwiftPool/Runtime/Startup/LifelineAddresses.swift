/// Where rank 0's lifeline listener binds: only where the job's hosts can reach it.
enum LifelineAddresses {
    /// Loopback, for workers on rank 0's host (replacements included), and for each other host
    /// the address of rank 0's own that the kernel would use to reach it.
    static func toListenOn(peers: [Peer], host: String) -> [UInt32] {
        var addresses = [IPv4Endpoint.loopback.address]
        for peer in peers.dropFirst() where peer.host != host {
            let routes = peer.addresses.lazy.compactMap { IPv4Endpoint.sourceAddress(toward: $0) }
            if let source = routes.first, !addresses.contains(source) { addresses.append(source) }
        }
        return addresses
    }
}
