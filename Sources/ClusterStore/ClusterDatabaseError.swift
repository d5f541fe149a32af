// ClusterDatabaseError: why a statement or a wait for a connection of the cluster database failed, naming the
// server, the statement and the time it had, and what happens next. The journal wraps it in a `.storage`
// SedgateError as its cause.

/// A failure of the cluster database's connections (or PostgreSQL's own error, as postgres-nio described it).
struct ClusterDatabaseError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        /// A statement got no complete answer in time; its connection was closed.
        case statementTimedOut
        /// The connection was closed (by the server, the network, or this side) before the statement was sent.
        case connectionLost
        /// A COMMIT's answer was lost with its connection: the transaction may or may not have committed.
        case commitOutcomeUnknown
        /// Every connection stayed in use for as long as a caller may wait for one.
        case waitTimedOut
        /// The caller's task was cancelled while it waited for a connection.
        case waitCancelled
        /// Anything else (PostgreSQL's error, a refused connection), described by the text.
        case other
    }

    let code: Code
    let description: String

    /// An error of postgres-nio or PostgreSQL, described (its errors hide their text from `description`).
    init(_ description: String) {
        self.init(.other, description)
    }

    private init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    static func statementTimedOut(
        _ statement: String, _ endpoint: ClusterSettings.Endpoint, after timeout: Duration
    ) -> Self {
        Self(
            .statementTimedOut,
            "\(endpoint) did not answer `\(statement)` within \(timeout) ([cluster] statement-timeout-ms); the "
                + "connection was closed and dropped (the server may be stopped, overloaded or unreachable; the next "
                + "connection looks for the primary again)")
    }

    static func connectionLost(
        _ statement: String, _ endpoint: ClusterSettings.Endpoint, earlier: String?
    ) -> Self {
        Self(
            .connectionLost,
            "the connection to \(endpoint) is closed, so `\(statement)` was not sent ("
                + (earlier.map { "it was closed because \($0)" } ?? "the server closed it or went away")
                + "); the next connection looks for the primary again")
    }

    static func commitLost(_ endpoint: ClusterSettings.Endpoint, cause: any Error) -> Self {
        Self(
            .commitOutcomeUnknown,
            "the connection to \(endpoint) was lost during COMMIT (\(String(reflecting: cause))); whether the "
                + "transaction committed is unknown")
    }

    static func waitTimedOut(connections: Int, after wait: Duration) -> Self {
        Self(
            .waitTimedOut,
            "all \(connections) connections to the cluster database stayed in use for \(wait) "
                + "([cluster] connection-wait-ms); gave up waiting for one (raise [cluster] connections, or look for "
                + "slow statements in the log)")
    }

    static func waitCancelled(connections: Int) -> Self {
        Self(
            .waitCancelled,
            "cancelled while waiting for one of the \(connections) connections to the cluster database (all in use)")
    }

    /// This error, met by a COMMIT: a lost or unanswered COMMIT may have committed.
    func duringCommit() -> Self {
        guard code == .statementTimedOut || code == .connectionLost else { return self }
        return Self(.commitOutcomeUnknown, description + "; whether the transaction committed is unknown")
    }
}
