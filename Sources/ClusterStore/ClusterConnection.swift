// ClusterConnection: one PostgreSQL connection of the CN's pool, to a named server, through which every statement
// of the cluster journal goes. Each statement is sent, answered and its rows read within the statement timeout, or
// the connection is closed (the statement fails with an error naming the server, the statement and the timeout) and
// the pool drops it: a server that stops answering (a lost machine whose TCP stays up, a stopped process) never
// holds a caller for longer than that. Reads and writes the database only.

import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A connection to one configured server, whose statements each finish within a deadline.
final class ClusterConnection: Sendable {
    /// The server it is connected to.
    let endpoint: ClusterSettings.Endpoint
    /// How long one statement may take, its rows read, before the connection is closed as lost.
    let statementTimeout: Duration
    private let connection: PostgresConnection
    /// Why the connection was closed by this side, for the errors of later statements.
    private let closedBecause = Mutex<String?>(nil)

    init(_ connection: PostgresConnection, endpoint: ClusterSettings.Endpoint, statementTimeout: Duration) {
        self.connection = connection
        self.endpoint = endpoint
        self.statementTimeout = statementTimeout
    }

    /// Whether the connection is closed, or closing (by either side): it runs no statement again.
    var isClosed: Bool { timedOut || connection.isClosed }

    /// Whether this side closed it because a statement went unanswered: the server may be lost, and the other
    /// connections to it with it.
    var timedOut: Bool { closedBecause.withLock { $0 != nil } }

    /// Runs one statement and reads all its rows, within `statementTimeout`; on expiry the connection is closed and
    /// the statement fails with `ClusterDatabaseError` `.statementTimedOut`.
    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> ClusterRows {
        let loop = connection.eventLoop
        let result = loop.makePromise(of: PostgresQueryResult.self)
        let (connection, endpoint, timeout) = (self.connection, self.endpoint, self.statementTimeout)
        let statement = Self.summary(query.sql)
        loop.execute {
            // Checked and sent in one turn of the connection's event loop: a statement written after the channel
            // closed would reach no handler and never be answered (postgres-nio drops it).
            guard !self.isClosed else {
                result.fail(self.lostError(statement))
                return
            }
            let timer = loop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
                let error = ClusterDatabaseError.statementTimedOut(statement, endpoint, after: timeout)
                // Marked closed before the caller hears of it (it gives the connection back at once), and failed
                // before the channel closes (which fails the statement with a vaguer error).
                self.closedBecause.withLock { $0 = error.description }
                result.fail(error)
                connection.closeNow()
            }
            connection.query(query, logger: logger).whenComplete { outcome in
                timer.cancel()
                // The first outcome wins: after a timeout, the closed connection's failure is not reported.
                result.completeWith(outcome)
            }
        }
        return ClusterRows(try await result.futureResult.get())
    }

    /// Runs `body` in a transaction: BEGIN, then COMMIT if it returns, ROLLBACK if it throws (unless the connection
    /// is closed: then the server has rolled it back, or will when it notices). A failed COMMIT leaves the outcome
    /// unknown when the connection was lost meanwhile; the error says so.
    @discardableResult
    func transaction<T: Sendable>(
        logger: Logger, _ body: (ClusterConnection) async throws -> T
    ) async throws -> T {
        try await query("BEGIN", logger: logger)
        let value: T
        do {
            value = try await body(self)
        } catch {
            if !isClosed {
                do {
                    try await query("ROLLBACK", logger: logger)
                } catch {
                    // A connection that cannot roll back is in an unknown state: never lend it again.
                    close()
                }
            }
            throw error
        }
        do {
            try await query("COMMIT", logger: logger)
        } catch let error as ClusterDatabaseError {
            throw error.duringCommit()
        } catch {
            if isClosed { throw ClusterDatabaseError.commitLost(endpoint, cause: error) }
            throw error
        }
        return value
    }

    /// Closes the connection now, without waiting for the server (statements in flight fail).
    func close() {
        connection.closeNow()
    }

    /// Closes the connection and waits until its channel is closed.
    func closeAndWait() async {
        try? await connection.close()
    }

    private func lostError(_ statement: String) -> ClusterDatabaseError {
        .connectionLost(statement, endpoint, earlier: closedBecause.withLock { $0 })
    }

    /// The statement's first words, on one line, for errors.
    static func summary(_ sql: String) -> String {
        let words = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count > 72 ? String(words.prefix(72)) + "..." : words
    }
}

extension PostgresConnection {
    /// Closes the channel at once (statements in flight fail), without waiting; the connection is kept until its
    /// channel has closed (postgres-nio asserts that a connection is closed before it is released).
    fileprivate func closeNow() {
        let closing: EventLoopFuture<Void> = close()
        closing.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}

/// The rows of one statement, read in full within its deadline (an `AsyncSequence` of `PostgresRow`, so the
/// decoding helpers of postgres-nio apply; iterating never waits).
struct ClusterRows: AsyncSequence, Sendable {
    typealias Element = PostgresRow
    let rows: [PostgresRow]

    init(_ result: PostgresQueryResult) {
        rows = result.rows
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        mutating func next() async throws -> PostgresRow? { base.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }
}

extension Duration {
    /// The duration in whole nanoseconds (for NIO's `TimeAmount`).
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
