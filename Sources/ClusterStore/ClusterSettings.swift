// ClusterSettings: how a coordination node reaches the PostgreSQL database it shares with the other CN processes
// of its cluster (`[cluster]` in its configuration): the database hosts in order, this process's name, the lease.

import Foundation
import Glibc
import SedgateCore

/// The settings of a clustered coordination node.
public struct ClusterSettings: Sendable, Hashable {
    /// One PostgreSQL server to try, parsed from a `postgres://user:password@host:port/database` URL.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String

        /// Parses `postgres://user[:password]@host[:port]/database` (or `postgresql://`); nil when it is not one.
        public init?(url: String) {
            guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""),
                let host = parts.host, !host.isEmpty, let user = parts.user, !user.isEmpty
            else { return nil }
            let database = String(parts.path.drop { $0 == "/" })
            self.host = host
            self.port = parts.port ?? 5432
            self.user = user
            self.password = parts.password
            self.database = database.isEmpty ? user : database
        }

        /// The URL without its password, for logs and errors.
        public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
    }

    /// The servers in the order to try them: the primary first, then its standbys. The CN uses the first one that
    /// accepts writes (`pg_is_in_recovery()` false), so after a promotion it finds the new primary by itself.
    public var endpoints: [Endpoint]
    /// This process's name in the lease table (unique per running process: a restart is a new holder).
    public var holder: String
    /// How long a destination stays with the process that took it without a renewal: the longest a killed process
    /// keeps its destinations from the others.
    public var lease: Duration
    /// Connections this process keeps open to the database.
    public var connections: Int
    /// How long one statement may take (sent, answered, its rows read) before its connection is closed as lost: the
    /// longest a server that stops answering (a lost machine whose TCP stays up, a stopped process) holds a caller.
    public var statementTimeout: Duration
    /// How long opening a connection to one server (TCP and PostgreSQL's start-up) may take before the next is tried.
    public var connectTimeout: Duration
    /// How long a caller waits for a free connection while all are in use.
    public var connectionWait: Duration

    public init(
        endpoints: [Endpoint], holder: String? = nil, lease: Duration = .seconds(5), connections: Int = 4,
        statementTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(3),
        connectionWait: Duration = .seconds(60)
    ) {
        self.endpoints = endpoints
        self.holder =
            holder ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        self.lease = lease
        self.connections = max(1, connections)
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
        self.connectionWait = connectionWait
    }
}
