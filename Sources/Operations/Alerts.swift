// Alerts: the rules of `[alerts]` evaluated every `interval-s`; an alert fires once (command hook, webhook,
// e-mail), stays quiet while its condition holds, escalates once after `escalate-after-s` unless acknowledged, and
// is reset (closed, with a `resolved` notice) when its condition clears. Nothing is sent during a maintenance
// window. State lives in `<spool>/var/alerts.sqlite`, so `sedgate alerts list|ack|history|maintenance` work
// beside the running node.

import Dispatch
import Foundation
public import GRDB
import Glibc
public import Logging
import Metrics
public import SedgateCore
public import ServiceLifecycle
public import Store

/// One alert: a rule's condition on one subject (a destination, a peer, the disk...), from opening to reset.
public struct AlertRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var rule: String
    public var subject: String
    public var detail: String
    public var openedAt: String
    public var escalatedAt: String?
    public var ackedAt: String?
    public var closedAt: String?
    public var closedBy: String?
}

/// The alert database of one node.
public final class AlertStore: Sendable {
    public let database: DatabaseQueue

    public init(path: String) throws(SedgateError) {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            database = try DatabaseQueue(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE alert (
                            id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, subject TEXT NOT NULL,
                            detail TEXT NOT NULL, openedAt TEXT NOT NULL, escalatedAt TEXT, ackedAt TEXT,
                            closedAt TEXT, closedBy TEXT
                        );
                        CREATE TABLE maintenance (id INTEGER PRIMARY KEY CHECK (id = 1), until TEXT NOT NULL);
                        CREATE TABLE notification (
                            id INTEGER PRIMARY KEY AUTOINCREMENT, alertId INTEGER NOT NULL, kind TEXT NOT NULL,
                            channel TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL
                        );
                        """)
            }
            try migrator.migrate(database)
        } catch {
            throw SedgateError(.storage, "cannot open the alerts at \(path)", cause: error)
        }
    }

    static func record(_ row: Row) -> AlertRecord {
        AlertRecord(
            id: row["id"], rule: row["rule"], subject: row["subject"], detail: row["detail"],
            openedAt: row["openedAt"], escalatedAt: row["escalatedAt"], ackedAt: row["ackedAt"],
            closedAt: row["closedAt"], closedBy: row["closedBy"])
    }

    /// Open alerts (`open: true`) or every alert, newest first.
    public func alerts(open: Bool) async throws -> [AlertRecord] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM alert \(open ? "WHERE closedAt IS NULL" : "") ORDER BY id DESC"
            ).map(Self.record)
        }
    }

    /// Acknowledges an open alert: no escalation; it closes when its condition clears. False if none is open.
    public func acknowledge(_ id: Int64, at: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE alert SET ackedAt = ? WHERE id = ? AND closedAt IS NULL AND ackedAt IS NULL",
                arguments: [at, id])
            return db.changesCount > 0
        }
    }

    /// Sets (or, with nil, ends) the maintenance window.
    public func setMaintenance(until: String?) async throws {
        try await database.write { db in
            if let until {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO maintenance (id, until) VALUES (1, ?)", arguments: [until])
            } else {
                try db.execute(sql: "DELETE FROM maintenance")
            }
        }
    }

    /// The end of the maintenance window, if one is set.
    public func maintenanceUntil() async throws -> String? {
        try await database.read { db in try String.fetchOne(db, sql: "SELECT until FROM maintenance WHERE id = 1") }
    }

    /// The notifications sent for an alert: (kind, channel, outcome).
    public func notifications(_ id: Int64) async throws -> [(kind: String, channel: String, outcome: String)] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT kind, channel, outcome FROM notification WHERE alertId = ? ORDER BY id",
                arguments: [id]
            ).map { ($0["kind"], $0["channel"], $0["outcome"]) }
        }
    }

    func open(rule: String, subject: String, detail: String, at: String) async throws -> AlertRecord {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO alert (rule, subject, detail, openedAt) VALUES (?, ?, ?, ?)",
                arguments: [rule, subject, detail, at])
            return AlertRecord(
                id: db.lastInsertedRowID, rule: rule, subject: subject, detail: detail, openedAt: at)
        }
    }

    func update(_ sql: String, _ arguments: StatementArguments) async throws {
        try await database.write { db in try db.execute(sql: sql, arguments: arguments) }
    }
}

/// A condition found true at one evaluation.
struct AlertCondition: Hashable {
    var rule: String
    var subject: String
    var detail: String

    var key: String { rule + "\u{0}" + subject }
}

/// Evaluates the rules and notifies; one per node.
public actor AlertEngine: Service {
    let rules: AlertRules
    let context: NodeContext
    let store: AlertStore
    let journal: Journal
    let logger: Logger
    let notifier: AlertNotifier
    /// When each peer was first found unreachable in the current outage.
    var downSince: [NodeID: Date] = [:]

    public init(rules: AlertRules, context: NodeContext, store: AlertStore, journal: Journal, logger: Logger) {
        self.rules = rules
        self.context = context
        self.store = store
        self.journal = journal
        self.logger = logger
        self.notifier = AlertNotifier(rules: rules, node: context.node, store: store, logger: logger)
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await evaluate(now: Date())
                Counter(label: "sedgate_alert_evaluations_total").increment()
            } catch {
                logger.error("cannot evaluate the alert rules", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { [rules] in try await Task.sleep(for: rules.interval) }
        }
    }

    /// One evaluation: opens, escalates and resets alerts.
    func evaluate(now: Date) async throws {
        let conditions = await self.conditions(now: now)
        let stamp = Timestamp.iso8601(now)
        let maintenance = try await store.maintenanceUntil().flatMap(Timestamp.parse).map { $0 > now } ?? false
        var open: [String: AlertRecord] = [:]
        for alert in try await store.alerts(open: true) {
            open[AlertCondition(rule: alert.rule, subject: alert.subject, detail: "").key] = alert
        }
        var holding: Set<String> = []
        for condition in conditions {
            holding.insert(condition.key)
            if let alert = open[condition.key] {
                guard let delay = rules.escalateAfter, alert.ackedAt == nil, alert.escalatedAt == nil, !maintenance,
                    let opened = Timestamp.parse(alert.openedAt), now.timeIntervalSince(opened) >= delay.timeInterval
                else { continue }
                try await store.update("UPDATE alert SET escalatedAt = ? WHERE id = ?", [stamp, alert.id])
                await notifier.send(alert, kind: "escalated", at: stamp)
            } else if !maintenance {
                let alert = try await store.open(
                    rule: condition.rule, subject: condition.subject, detail: condition.detail, at: stamp)
                logger.warning(
                    "alert",
                    metadata: [
                        "rule": "\(condition.rule)", "subject": "\(condition.subject)",
                        "detail": "\(condition.detail)",
                    ])
                await notifier.send(alert, kind: "firing", at: stamp)
            }
        }
        for (key, alert) in open where !holding.contains(key) {
            try await store.update(
                "UPDATE alert SET closedAt = ?, closedBy = 'cleared' WHERE id = ?", [stamp, alert.id])
            logger.notice("alert reset", metadata: ["rule": "\(alert.rule)", "subject": "\(alert.subject)"])
            if !maintenance { await notifier.send(alert, kind: "resolved", at: stamp) }
        }
    }

    /// The conditions true now, one per rule and subject.
    func conditions(now: Date) async -> [AlertCondition] {
        var found: [AlertCondition] = []
        if let limit = rules.queueOlderThan, let queues = try? await NodeMetrics.queues(journal) {
            for queue in queues {
                guard let oldest = queue.oldest.flatMap(Timestamp.parse),
                    now.timeIntervalSince(oldest) > limit.timeInterval
                else { continue }
                found.append(
                    AlertCondition(
                        rule: "queue-older-than", subject: "\(queue.direction)/\(queue.peer)",
                        detail: "\(queue.depth) SEDs wait for \(queue.peer); the oldest since \(queue.oldest ?? "")"))
            }
        }
        if let limit = rules.failuresPerHour {
            let since = Timestamp.iso8601(now.addingTimeInterval(-3_600))
            let counted = try? await journal.database.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM event WHERE state = 'failed' AND at >= ?", arguments: [since]) ?? 0
            }
            let failed = counted ?? 0
            if failed > limit {
                found.append(
                    AlertCondition(
                        rule: "failures-per-hour", subject: context.node.rawValue,
                        detail: "\(failed) SEDs failed in the last hour (the limit is \(limit))"))
            }
        }
        if let limit = rules.peerUnreachable {
            for (peer, url) in context.peers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let reachable = await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume(returning: Probe.reachable(url: url)) }
                }
                if reachable {
                    downSince[peer] = nil
                    continue
                }
                let since = downSince[peer] ?? now
                downSince[peer] = since
                if now.timeIntervalSince(since) >= limit.timeInterval {
                    found.append(
                        AlertCondition(
                            rule: "peer-unreachable", subject: peer.rawValue,
                            detail: "\(peer) at \(url) has refused connections since \(Timestamp.iso8601(since))"))
                }
            }
        }
        if let days = rules.certificateDays, let expiry = Certificate.notAfter(pemFile: context.certificatePath),
            expiry.timeIntervalSince(now) < Double(days) * 86_400
        {
            found.append(
                AlertCondition(
                    rule: "certificate-expiring", subject: context.certificatePath,
                    detail: "the TLS certificate expires at \(Timestamp.iso8601(expiry))"))
        }
        let free = NodeMetrics.freeBytes(context.spoolRoot)
        if let limit = rules.diskFreeMB, let free, free < Int64(limit) << 20 {
            found.append(
                AlertCondition(
                    rule: "disk-free", subject: context.spoolRoot,
                    detail: "\(free >> 20) MiB free on the spool's disk (the limit is \(limit) MiB)"))
        }
        if rules.backPressure, let free {
            let queued = (try? await NodeMetrics.queues(journal))?.reduce(0) { $0 + $1.depth } ?? 0
            if let refusal = context.capacity.refusal(queued: queued, freeBytes: free) {
                found.append(
                    AlertCondition(rule: "back-pressure", subject: context.node.rawValue, detail: refusal.message))
            }
        }
        if rules.orderGaps {
            let since = Timestamp.iso8601(now.addingTimeInterval(-3_600))
            let counted = try? await journal.database.read { db in
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM event
                        WHERE state = 'landed' AND detail LIKE 'landed without SeqNo%' AND at >= ?
                        """, arguments: [since]) ?? 0
            }
            if let gaps = counted, gaps > 0 {
                found.append(
                    AlertCondition(
                        rule: "order-gaps", subject: context.node.rawValue,
                        detail: "\(gaps) SEDs landed in the last hour without an earlier one of their conversation"))
            }
        }
        return found
    }
}

/// Whether something accepts TCP connections at a URL's host and port.
enum Probe {
    static func reachable(url: String, timeoutMilliseconds: Int32 = 2_000) -> Bool {
        guard let components = URLComponents(string: url), let host = components.host else { return false }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { return false }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            defer { entry = info.pointee.ai_next }
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return true }
            guard errno == EINPROGRESS else { continue }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) == 1 else { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return true }
        }
        return false
    }
}
