// ClusterDatabase: the few PostgreSQL connections one CN process keeps, lent out one caller at a time (a
// transaction owns its connection). A connection is opened to the first configured server that accepts writes,
// from the last good one on, so when the primary is lost and a standby promoted the next connection finds the new
// primary. Nothing waits forever: opening a connection has `connectTimeout` per server, each statement
// `statementTimeout` (ClusterConnection closes a connection whose statement goes unanswered), and a caller waits
// for a free connection at most `connectionWait`, or until its task is cancelled. A closed connection is never lent
// again; one closed for want of an answer takes the idle connections to the same server with it.

import Logging
import NIOCore
import PostgresNIO
import SedgateCore
import Synchronization

/// A small pool of connections to whichever configured server is the primary now.
final class ClusterDatabase: Sendable {
    /// What a waiting caller is given: a connection given back, or a free place to open one in.
    enum Grant: Sendable {
        case connection(ClusterConnection)
        case place
    }

    struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Grant, any Error>
        var timer: Scheduled<Void>?
    }

    struct State {
        var idle: [ClusterConnection] = []
        /// Connections open or being opened (each holds a place).
        var open = 0
        /// Callers waiting for a place, first come first served.
        var waiters: [Waiter] = []
        /// The endpoint that was the primary last time: tried first.
        var preferred = 0
        var nextID = 0
    }

    let settings: ClusterSettings
    let logger: Logger
    private let state = Mutex(State())
    /// Where the waits' timers run.
    private let timers: any EventLoop = PostgresConnection.defaultEventLoopGroup.any()

    init(settings: ClusterSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Runs `body` with a connection of its own; a connection that broke (or failed to open) is not kept.
    @discardableResult
    func withConnection<T: Sendable>(
        _ body: (ClusterConnection) async throws -> T
    ) async throws -> T {
        let connection = try await take()
        do {
            let result = try await body(connection)
            giveBack(connection)
            return result
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// Closes every idle connection (at shutdown).
    func closeAll() async {
        let all = state.withLock { state in
            let all = state.idle
            state.idle.removeAll()
            state.open -= all.count
            return all
        }
        for connection in all { await connection.closeAndWait() }
    }

    /// The connections open or being opened, and the callers waiting (for tests and logs).
    var counts: (open: Int, idle: Int, waiting: Int) {
        state.withLock { ($0.open, $0.idle.count, $0.waiters.count) }
    }

    // MARK: - Lending

    private enum Step {
        case use(ClusterConnection)
        case open
        case wait(id: Int)
    }

    private func take() async throws -> ClusterConnection {
        let step = state.withLock { state -> Step in
            while let connection = state.idle.popLast() {
                if !connection.isClosed { return .use(connection) }
                state.open -= 1
            }
            if state.open < settings.connections {
                state.open += 1
                return .open
            }
            state.nextID += 1
            return .wait(id: state.nextID)
        }
        switch step {
        case .use(let connection):
            return connection
        case .open:
            return try await openInPlace()
        case .wait(let id):
            switch try await wait(id) {
            case .connection(let connection) where !connection.isClosed:
                return connection
            case .connection, .place:
                // A connection that closed on its way here leaves its place to a new one.
                return try await openInPlace()
            }
        }
    }

    /// Waits for a connection or a place, until `connectionWait` has passed or the task is cancelled.
    private func wait(_ id: Int) async throws -> Grant {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                state.withLock { $0.waiters.append(Waiter(id: id, continuation: continuation)) }
                let timer = timers.scheduleTask(in: .nanoseconds(settings.connectionWait.nanoseconds)) {
                    self.stopWaiting(
                        id, .waitTimedOut(connections: self.settings.connections, after: self.settings.connectionWait))
                }
                let waiting = state.withLock { state in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
                    state.waiters[index].timer = timer
                    return true
                }
                if !waiting { timer.cancel() }
                // A cancellation that came before the waiter was listed found nothing to stop.
                if Task.isCancelled { stopWaiting(id, .waitCancelled(connections: settings.connections)) }
            }
        } onCancel: {
            stopWaiting(id, .waitCancelled(connections: settings.connections))
        }
    }

    /// Ends the wait of `id` with `error`, unless it was given a connection or a place already.
    private func stopWaiting(_ id: Int, _ error: ClusterDatabaseError) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(throwing: error)
    }

    /// Opens a connection in a place already counted in `open`; gives the place on if it fails.
    private func openInPlace() async throws -> ClusterConnection {
        do {
            return try await connect()
        } catch {
            release()
            throw error
        }
    }

    private func giveBack(_ connection: ClusterConnection) {
        if connection.isClosed {
            // Connections to a server that left a statement unanswered are not lent again either.
            let suspect = connection.timedOut ? connection.endpoint : nil
            let dropped = state.withLock { state -> [ClusterConnection] in
                guard let suspect else { return [] }
                let dropped = state.idle.filter { $0.endpoint == suspect }
                state.idle.removeAll { $0.endpoint == suspect }
                return dropped
            }
            if !dropped.isEmpty {
                logger.warning(
                    "dropping the idle connections to a cluster database server that left a statement unanswered",
                    metadata: ["server": "\(connection.endpoint)", "count": "\(dropped.count)"])
            }
            for other in dropped { other.close() }
            release(dropping: dropped)
            return
        }
        let waiter = state.withLock { state -> Waiter? in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return nil
            }
            return state.waiters.removeFirst()
        }
        guard let waiter else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(returning: .connection(connection))
    }

    /// Frees the place of one connection that closed or failed to open, and those of `dropped`: waiters get them.
    private func release(dropping dropped: [ClusterConnection] = []) {
        let waiters = state.withLock { state -> [Waiter] in
            state.open -= 1 + dropped.count
            var granted: [Waiter] = []
            while state.open < settings.connections, !state.waiters.isEmpty {
                state.open += 1
                granted.append(state.waiters.removeFirst())
            }
            return granted
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .place)
        }
    }

    // MARK: - Connecting

    /// Opens a connection to the first endpoint, from the last good one on, that is a primary.
    private func connect() async throws -> ClusterConnection {
        var reasons: [String] = []
        let preferred = state.withLock { $0.preferred }
        let count = settings.endpoints.count
        for step in 0..<count {
            let index = (preferred + step) % count
            let endpoint = settings.endpoints[index]
            var configuration = PostgresConnection.Configuration(
                host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password,
                database: endpoint.database, tls: .disable)
            // Covers TCP and PostgreSQL's start-up (a stopped server accepts TCP but never answers).
            configuration.options.connectTimeout = .nanoseconds(settings.connectTimeout.nanoseconds)
            let id = state.withLock { state in
                state.nextID += 1
                return state.nextID
            }
            do {
                let connection = ClusterConnection(
                    try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger),
                    endpoint: endpoint, statementTimeout: settings.statementTimeout)
                var standby = true
                do {
                    for try await flag in try await connection.query("SELECT pg_is_in_recovery()", logger: logger)
                        .decode(Bool.self)
                    {
                        standby = flag
                    }
                } catch {
                    connection.close()
                    throw error
                }
                if standby {
                    connection.close()
                    reasons.append("\(endpoint) is a standby (read only)")
                    continue
                }
                let moved = state.withLock { state in
                    defer { state.preferred = index }
                    return state.preferred != index
                }
                if moved { logger.notice("the cluster database moved", metadata: ["primary": "\(endpoint)"]) }
                return connection
            } catch {
                reasons.append("\(endpoint): \(String(reflecting: error))")
            }
        }
        throw SedgateError(
            .storage,
            "no configured PostgreSQL server accepts writes ([cluster] database): " + reasons.joined(separator: "; ")
                + "; start the primary, or promote a standby (pg_ctl promote)")
    }
}
