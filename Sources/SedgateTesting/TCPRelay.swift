// TCPRelay: a TCP relay on loopback between two nodes, which a test can cut (its port refuses: connections in
// progress are torn down, new ones closed at once) and restore: a network cut, without stopping either node.
// Bytes pass untouched, TLS included. One thread accepts; two threads pump each connection.

import Foundation
import Glibc
public import SedgateCore
import Synchronization

/// Relays 127.0.0.1:`port` to 127.0.0.1:`target` until cut.
public final class TCPRelay: Sendable {
    /// The port the relay listens on.
    public let port: Int
    private let target: Int
    private let listener: Int32
    private let state = Mutex<(cut: Bool, closed: Bool, sockets: Set<Int32>)>((false, false, []))

    /// Starts relaying to `target` on a free port.
    public init(target: Int) throws(SedgateError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SedgateError(.io, "cannot open a socket for a relay") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw SedgateError(.io, "cannot listen for a relay on 127.0.0.1")
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.target = target
        self.listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "sedgate-relay-\(port)"
        thread.start()
    }

    /// Cuts the link: every connection through the relay is torn down, and new ones are closed at once.
    public func cut() {
        // Under the lock, so no socket number can be closed (and reused) between listing and shutting down.
        state.withLock { state in
            state.cut = true
            for fd in state.sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Restores the link: new connections are relayed again.
    public func restore() {
        state.withLock { $0.cut = false }
    }

    /// Stops the relay for good.
    public func stop() {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        cut()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit {
        stop()
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if state.withLock({ $0.closed }) { return }
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            guard !state.withLock({ $0.cut }), let upstream = connectTarget() else {
                close(client)
                continue
            }
            state.withLock { $0.sockets.formUnion([client, upstream]) }
            Thread { [self] in pump(from: client, to: upstream) }.start()
            Thread { [self] in pump(from: upstream, to: client) }.start()
        }
    }

    private func connectTarget() -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(target).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Copies bytes one way until either side closes; then closes both (the other pump ends too).
    private func pump(from source: Int32, to sink: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        loop: while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            var sent = 0
            while sent < count {
                // MSG_NOSIGNAL: a peer gone away is an error here, not a SIGPIPE that kills the test process.
                let wrote = buffer.withUnsafeBytes {
                    send(sink, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL))
                }
                if wrote <= 0 { break loop }
                sent += wrote
            }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(sink, Int32(SHUT_RDWR))
        // Each socket is closed once, by whichever pump removes it from the set, under the lock (see `cut`).
        state.withLock { state in
            for fd in [source, sink] where state.sockets.remove(fd) != nil { close(fd) }
        }
    }
}
