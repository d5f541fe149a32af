// ClusterDatabase: the few PostgreSQL connections one CN process keeps, lent out one caller at a time (a
// transaction owns its connection). A connection is opened to the first configured server that accepts writes,
// so when the primary dies and a standby is promoted, the next connection finds the new primary; a broken
// connection is dropped, never lent again.

import Logging
import NIOCore
import PostgresNIO
import SedgateCore

/// A small pool of connections to whichever configured server is the primary now.
actor ClusterDatabase {
    let settings: ClusterSettings
    let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// The endpoint that was the primary last time: tried first.
    private var preferred = 0
    private var nextID = 0

    init(settings: ClusterSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Runs `body` with a connection of its own; a connection that broke (or failed to open) is not kept.
    nonisolated func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await take()
        do {
            let result = try await body(connection)
            await giveBack(connection)
            return result
        } catch {
            await giveBack(connection)
            throw error
        }
    }

    /// Closes every idle connection (at shutdown).
    func closeAll() async {
        let all = idle
        idle.removeAll()
        open -= all.count
        for connection in all { try? await connection.close() }
    }

    private func take() async throws -> PostgresConnection {
        while true {
            while let connection = idle.popLast() {
                if !connection.isClosed { return connection }
                open -= 1
            }
            if open < settings.connections {
                open += 1
                do {
                    return try await connect()
                } catch {
                    open -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        if connection.isClosed {
            open -= 1
        } else {
            idle.append(connection)
        }
        wakeOne()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Opens a connection to the first endpoint, from the last good one on, that is a primary.
    private func connect() async throws -> PostgresConnection {
        var reasons: [String] = []
        let count = settings.endpoints.count
        for step in 0..<count {
            let index = (preferred + step) % count
            let endpoint = settings.endpoints[index]
            var configuration = PostgresConnection.Configuration(
                host: endpoint.host, port: endpoint.port, username: endpoint.user, password: endpoint.password,
                database: endpoint.database, tls: .disable)
            configuration.options.connectTimeout = .seconds(3)
            nextID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: nextID, logger: logger)
                var standby = true
                for try await flag in try await connection.query("SELECT pg_is_in_recovery()", logger: logger)
                    .decode(Bool.self)
                {
                    standby = flag
                }
                if standby {
                    try? await connection.close()
                    reasons.append("\(endpoint) is a standby (read only)")
                    continue
                }
                if index != preferred {
                    logger.notice("the cluster database moved", metadata: ["primary": "\(endpoint)"])
                    preferred = index
                }
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
