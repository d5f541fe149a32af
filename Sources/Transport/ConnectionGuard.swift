// ConnectionGuard: the per-connection half of ServerLimits. It counts connections per remote address and in all,
// closes one over its peer's cap, gives the TLS handshake a deadline, closes after a reply that says
// `Connection: close` (a refused body is then never read), and keeps a budget of request bytes held in memory.
// Every limit hit is logged once, then at most once a minute with the number refused since.

import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import NIOTLS
import SedgateCore
import Synchronization

/// What every connection of one server shares: open counts, per remote address and in all, and the log state.
final class ConnectionCensus: Sendable {
    private struct State {
        var open = 0
        var perPeer: [String: Int] = [:]
        var notices: [String: Notice] = [:]
    }

    /// A limit's log state: when it was last logged, and how often it was hit since.
    private struct Notice {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    let limits: ServerLimits
    private let logger: Logger
    private let state = Mutex(State())
    private static let logInterval = Duration.seconds(60)

    init(limits: ServerLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    /// Counts a new connection from `peer`; false (and logged) when `peer` already holds its cap.
    func open(from peer: String) -> Bool {
        let held: Int? = state.withLock { state in
            let held = state.perPeer[peer, default: 0]
            guard held < limits.maximumConnectionsPerPeer else { return held }
            state.perPeer[peer] = held + 1
            return nil
        }
        guard let held else { return true }
        notice(
            "peer \(peer)",
            "refused a connection from \(peer): it already holds \(held) open connections, the cap per peer "
                + "([server] max-connections-per-peer)")
        return false
    }

    /// Uncounts a connection `open(from:)` admitted.
    func close(from peer: String) {
        state.withLock { state in
            let held = state.perPeer[peer, default: 1] - 1
            state.perPeer[peer] = held > 0 ? held : nil
        }
    }

    /// A connection opened or closed, in all (the accept side's count).
    func adjustTotal(by change: Int) {
        state.withLock { $0.open += change }
    }

    /// Whether the server takes another connection now; logs when it does not.
    func isAccepting() -> Bool {
        let open = state.withLock { $0.open }
        guard open < limits.maximumConnections else {
            notice(
                "total",
                "\(open) connections are open, the node's cap ([server] max-connections); new connections wait "
                    + "in the listen backlog until one closes")
            return false
        }
        return true
    }

    /// A connection that did not complete its TLS handshake in time, closed.
    func handshakeTimedOut(from peer: String) {
        notice(
            "handshake \(peer)",
            "closed a connection from \(peer) that did not complete its TLS handshake within "
                + "\(limits.handshakeTimeout) ([server] handshake-timeout-s)")
    }

    /// Logs `message` under `key` once, then at most once a minute, saying how often it happened in between.
    func notice(_ key: String, _ message: String) {
        let now = ContinuousClock.now
        let suppressed: Int? = state.withLock { state in
            if var notice = state.notices[key] {
                guard now - notice.lastLogged >= Self.logInterval else {
                    notice.suppressed += 1
                    state.notices[key] = notice
                    return nil
                }
                state.notices[key] = Notice(lastLogged: now, suppressed: 0)
                return notice.suppressed
            }
            state.notices[key] = Notice(lastLogged: now, suppressed: 0)
            return 0
        }
        guard let suppressed else { return }
        let again = suppressed > 0 ? " (and \(suppressed) more times since the last report)" : ""
        logger.warning("connection limit: \(message)\(again)")
    }
}

/// The total cap, as Hummingbird's accept-side delegate: at the cap the server stops accepting.
struct ConnectionCap: AvailableConnectionsDelegate {
    let census: ConnectionCensus

    mutating func connectionOpened() { census.adjustTotal(by: 1) }
    mutating func connectionClosed() { census.adjustTotal(by: -1) }
    func isAcceptingNewConnections() -> Bool { census.isAccepting() }
}

/// One connection's guard, placed after the HTTP decoder: the per-peer cap, the handshake deadline, and the close
/// after a reply that says `Connection: close`.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let census: ConnectionCensus
    private var peer: String?
    private var handshake: Scheduled<Void>?
    private var closeAfterReply = false

    init(census: ConnectionCensus) {
        self.census = census
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard census.open(from: peer) else {
            context.close(promise: nil)
            return
        }
        self.peer = peer
        let timeout = census.limits.handshakeTimeout
        handshake = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            handshake = nil
            census.handshakeTimedOut(from: peer)
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshake?.cancel()
            handshake = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handshake?.cancel()
        handshake = nil
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection]?.lowercased() == "close" { closeAfterReply = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterReply else {
                context.write(data, promise: promise)
                return
            }
            // The request's unread rest is never read: the connection ends with this reply.
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        }
    }

    /// Uncounts the connection once, and drops the handshake deadline.
    private func release() {
        handshake?.cancel()
        handshake = nil
        if let peer {
            census.close(from: peer)
            self.peer = nil
        }
    }
}

/// The request bytes all connections together hold: a body is reserved before it is read, released after.
final class BodyBudget: Sendable {
    private let capacity: Int
    private let held = Mutex(0)

    /// A budget of `capacity` bytes (at least one body of the largest size).
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Reserves `bytes`; false when that would pass the capacity (the caller answers back-pressure).
    func reserve(_ bytes: Int) -> Bool {
        held.withLock { held in
            guard held + bytes <= capacity else { return false }
            held += bytes
            return true
        }
    }

    /// Gives back what `reserve` took.
    func release(_ bytes: Int) {
        held.withLock { $0 -= bytes }
    }
}
