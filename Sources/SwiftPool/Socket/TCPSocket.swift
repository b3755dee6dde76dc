import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// The few TCP operations lifelines need, on plain descriptors, every call checked.
enum TCPSocket {
    /// A listening socket bound to `endpoint` (port 0: any free port); returns the descriptor and
    /// the endpoint actually bound.
    static func listen(on endpoint: IPv4Endpoint) throws(SystemCallError) -> (Int32, IPv4Endpoint) {
        let descriptor = try systemCall("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        }
        do {
            var address = endpoint.socketAddress
            try systemCall("bind") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            try systemCall("listen") { Glibc.listen(descriptor, SOMAXCONN) }
            return (descriptor, try localEndpoint(of: descriptor))
        } catch {
            close(descriptor)
            throw error
        }
    }

    static func localEndpoint(of descriptor: Int32) throws(SystemCallError) -> IPv4Endpoint {
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try systemCall("getsockname") {
            withUnsafeMutablePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
        }
        return IPv4Endpoint(local)
    }

    /// Accepts one waiting connection, non-blocking and close-on-exec; nil when none is waiting.
    static func accept(from listener: Int32) -> Int32? {
        // Flags set by the call itself: a child started meanwhile by another thread must not
        // inherit the connection (a stranger holding a lifeline open would hide a death).
        let descriptor = accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
        guard descriptor >= 0 else { return nil }
        disableNagle(descriptor)
        return descriptor
    }

    /// Small messages go at once rather than waiting to be coalesced (Nagle's algorithm, which
    /// with delayed acknowledgements adds up to 40 ms per exchange).
    static func disableNagle(_ descriptor: Int32) {
        var on: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Connects to `endpoint` within `timeoutNanos`; returns a non-blocking, close-on-exec
    /// descriptor with Nagle's delay off (records are tiny and must go at once).
    static func connect(to endpoint: IPv4Endpoint, timeoutNanos: UInt64) throws(SystemCallError) -> Int32 {
        let descriptor = try systemCall("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        }
        var address = endpoint.socketAddress
        let started = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if started != 0 && errno != EINPROGRESS {
            let code = errno
            close(descriptor)
            throw SystemCallError(call: "connect", code: code)
        }
        if started != 0 {
            var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&entry, 1, Int32(clamping: timeoutNanos / 1_000_000))
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
            if ready <= 0 || failure != 0 {
                close(descriptor)
                throw SystemCallError(call: "connect", code: ready <= 0 ? ETIMEDOUT : failure)
            }
        }
        disableNagle(descriptor)
        return descriptor
    }

    enum ReadOutcome {
        case read(Int)
        case nothingYet
        case closed
    }

    /// Reads what has arrived, up to `limit` bytes, appending to `buffer`.
    static func readAvailable(_ descriptor: Int32, into buffer: inout [UInt8], limit: Int = 4096) -> ReadOutcome {
        var chunk = [UInt8](repeating: 0, count: limit)
        // `read` rather than `recv`: the same on a socket, and it also serves workers' output pipes.
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, limit) }
        if count > 0 {
            buffer += chunk[0..<count]
            return .read(count)
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return .nothingYet }
        return .closed
    }

    /// Sends bytes without blocking; false when they did not all go (a full or broken connection).
    @discardableResult
    static func send(_ bytes: UnsafeRawBufferPointer, on descriptor: Int32) -> Bool {
        Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count
    }

    /// Sends all the bytes, waiting (up to 10 s at a time) while the connection is full; false
    /// when it fails or stays full.
    static func sendAll(_ bytes: UnsafeRawBufferPointer, on descriptor: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = Glibc.send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            if count > 0 {
                sent += count
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
            var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&entry, 1, 10_000) > 0 else { return false }
        }
        return true
    }

    @discardableResult
    static func send(_ record: LifelineRecord, on descriptor: Int32) -> Bool {
        withUnsafeBytes(of: record.bytes) { send($0, on: descriptor) }
    }
}
