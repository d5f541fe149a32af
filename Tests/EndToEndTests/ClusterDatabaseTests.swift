// ClusterDatabaseTests: the cluster journal's connection pool against real PostgreSQL servers (Debian's, started on
// loopback in their own folders): a primary that stops answering (SIGSTOP of it and its backends: a lost machine
// whose TCP stays up) fails a statement within its timeout, naming the server, and the pool goes on with the
// promoted standby; a statement a live server does not finish in time closes its connection; a transaction whose
// connection is lost fails at once instead of waiting for a ROLLBACK nobody will answer; a caller waiting for a
// connection of an exhausted pool is woken by its task's cancellation, or by its wait's timeout, with a clear error.

import Foundation
import Logging
import PostgresNIO
import SedgateCore
import SedgateTesting
import Synchronization
import Testing

@testable import ClusterStore

@Suite("Cluster database connections, real PostgreSQL", .serialized)
struct ClusterDatabaseTests {
    static let logger = Logger(label: "cluster-database-test")

    static func settings(
        _ urls: [String], connections: Int = 4, statement: Duration = .seconds(2), wait: Duration = .seconds(60)
    ) throws -> ClusterSettings {
        ClusterSettings(
            endpoints: try urls.map { try #require(ClusterSettings.Endpoint(url: $0)) }, holder: "test",
            connections: connections, statementTimeout: statement, connectTimeout: .seconds(2), connectionWait: wait)
    }

    /// The error `body` threw, or nil when it returned; records an issue instead of hanging when it does neither
    /// within `limit` (what the pool must never do).
    static func failure(
        within limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> Void
    ) async -> (any Error)? {
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let task = Task {
            do {
                try await body()
                outcome.withLock { $0 = .success(()) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        do {
            try await Wait.until(what, timeout: limit, interval: .milliseconds(20)) {
                outcome.withLock { $0 != nil }
            }
        } catch {
            task.cancel()
            Issue.record("\(what) neither returned nor threw within \(limit): it hangs")
            return nil
        }
        if case .failure(let error) = outcome.withLock({ $0 }) { return error }
        return nil
    }

    static func code(_ error: (any Error)?) -> ClusterDatabaseError.Code? {
        (error as? ClusterDatabaseError)?.code
    }

    @Test(
        "a primary that stops answering (SIGSTOP) fails a statement within its timeout, naming the server; the pool then writes to the promoted standby"
    )
    func primaryStopsAnswering() async throws {
        let pair = try await ReplicatedPostgres.start(synchronous: false)
        do {
            try await primaryStops(pair)
        } catch {
            pair.signalPrimary(SIGCONT)
            await pair.stop()
            throw error
        }
        pair.signalPrimary(SIGCONT)
        await pair.stop()
    }

    private func primaryStops(_ pair: ReplicatedPostgres) async throws {
        let database = ClusterDatabase(settings: try Self.settings(pair.urls), logger: Self.logger)
        try await database.withConnection { connection in
            try await connection.query("CREATE TABLE probe (n int)", logger: Self.logger)
        }
        // Two connections to the primary: one lent when it stops, one idle.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    _ = try await database.withConnection { connection in
                        try await connection.query("SELECT pg_sleep(0.2)", logger: Self.logger)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(database.counts.idle == 2)

        pair.signalPrimary(SIGSTOP)
        let error = await Self.failure(within: .seconds(60), "a statement to the stopped primary") {
            _ = try await database.withConnection { connection in
                try await connection.query("INSERT INTO probe VALUES (1)", logger: Self.logger)
            }
        }
        #expect(Self.code(error) == .statementTimedOut, "\(String(describing: error))")
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("127.0.0.1:\(pair.primaryPort)") && text.contains("INSERT INTO probe"), "\(text)")
        #expect(text.contains("within 2"), "the error says how long the statement had: \(text)")
        // The idle connection to the same server went with it.
        #expect(database.counts.open == 0 && database.counts.idle == 0, "\(database.counts)")

        try await pair.promote()
        // The next connection gives up on the stopped server after its connect timeout and finds the new primary.
        let written = await Self.failure(within: .seconds(60), "a statement once the standby is promoted") {
            _ = try await database.withConnection { connection in
                try await connection.query("INSERT INTO probe VALUES (2)", logger: Self.logger)
            }
        }
        #expect(written == nil, "\(String(describing: written))")
        #expect(try await pair.psql("SELECT count(*) FROM probe WHERE n = 2", port: pair.standbyPort) == "1")
        await database.closeAll()
    }

    @Test(
        "a statement a live server does not finish in time closes its connection; a transaction whose connection is lost fails at once; the pool goes on"
    )
    func lostStatementsAndTransactions() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await lostStatements(postgres)
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    private func lostStatements(_ postgres: TestPostgres) async throws {
        let url = "postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"
        let database = ClusterDatabase(
            settings: try Self.settings([url], statement: .seconds(1)), logger: Self.logger)
        let slow = await Self.failure(within: .seconds(60), "a statement longer than its timeout") {
            try await database.withConnection { connection in
                try await connection.transaction(logger: Self.logger) { connection in
                    try await connection.query("SELECT pg_sleep(30)", logger: Self.logger)
                }
            }
        }
        #expect(Self.code(slow) == .statementTimedOut, "\(String(describing: slow))")
        #expect(database.counts.open == 0, "the closed connection is not kept")
        // A backend that dies inside a transaction: the statement fails, and no ROLLBACK waits on the dead
        // connection (postgres-nio never answers a statement written after its channel closed).
        for round in 0..<5 {
            let lost = await Self.failure(within: .seconds(60), "a transaction whose backend died (round \(round))") {
                try await database.withConnection { connection in
                    try await connection.transaction(logger: Self.logger) { connection in
                        try await connection.query("SELECT 1", logger: Self.logger)
                        try await connection.query(
                            "SELECT pg_terminate_backend(pg_backend_pid())", logger: Self.logger)
                        try await connection.query("SELECT 2", logger: Self.logger)
                    }
                }
            }
            #expect(lost != nil)
        }
        #expect(database.counts.open == 0, "\(database.counts)")
        let rows = try await database.withConnection { connection in
            try await connection.query("SELECT 41 + 1", logger: Self.logger).rows.count
        }
        #expect(rows == 1)
        await database.closeAll()
    }

    @Test(
        "a caller waiting for a connection of an exhausted pool is woken by cancellation and by its wait's timeout, each with a clear error; the pool stays usable"
    )
    func exhaustedPool() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await exhausted(postgres)
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    private func exhausted(_ postgres: TestPostgres) async throws {
        let url = "postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"
        // One pool whose callers wait as long as they must, one whose callers give up after a second.
        let patient = ClusterDatabase(settings: try Self.settings([url], connections: 1), logger: Self.logger)
        let impatient = ClusterDatabase(
            settings: try Self.settings([url], connections: 1, wait: .seconds(1)), logger: Self.logger)
        let release = Latch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Each pool's one connection, held until `release`.
            for database in [patient, impatient] {
                group.addTask {
                    try await database.withConnection { _ in
                        try await Wait.until("the test to release the connections", timeout: .seconds(300)) {
                            release.isOpen
                        }
                    }
                }
            }
            try await Wait.until("the connections to be lent", timeout: .seconds(60)) {
                patient.counts == (1, 0, 0) && impatient.counts == (1, 0, 0)
            }
            // A waiter whose task is cancelled.
            let outcome = Mutex<(any Error)?>(nil)
            let waiter = Task {
                do {
                    try await patient.withConnection { _ in }
                } catch {
                    outcome.withLock { $0 = error }
                }
            }
            try await Wait.until("a caller to wait", timeout: .seconds(60)) { patient.counts.waiting == 1 }
            waiter.cancel()
            _ = await Self.failure(within: .seconds(60), "the cancelled waiter") { await waiter.value }
            let cancelled = outcome.withLock { $0 }
            #expect(Self.code(cancelled) == .waitCancelled, "\(String(describing: cancelled))")
            #expect(patient.counts.waiting == 0)
            // A waiter that waits longer than `connectionWait`.
            let timedOut = await Self.failure(within: .seconds(60), "a wait longer than connection-wait") {
                try await impatient.withConnection { _ in }
            }
            #expect(Self.code(timedOut) == .waitTimedOut, "\(String(describing: timedOut))")
            #expect("\(timedOut.map { "\($0)" } ?? "")".contains("all 1 connections"))
            #expect(impatient.counts.waiting == 0)
            // A waiter given the connection back.
            group.addTask {
                _ = try await patient.withConnection { connection in
                    try await connection.query("SELECT 1", logger: Self.logger)
                }
            }
            try await Wait.until("a caller to wait", timeout: .seconds(60)) { patient.counts.waiting == 1 }
            release.open()
            try await group.waitForAll()
        }
        #expect(patient.counts == (1, 1, 0), "the connection handed over, and idle again")
        await patient.closeAll()
        await impatient.closeAll()
    }
}

/// A flag tasks wait on until the test opens it.
final class Latch: Sendable {
    private let state = Mutex(false)
    var isOpen: Bool { state.withLock { $0 } }
    func open() { state.withLock { $0 = true } }
}
