// MessageSearch: the console's questions to the journal: SEDs by id, case, sender, receiver, type, state and date;
// traffic per hour and per partner; what waits per peer and the last error seen with it.

import Foundation
import GRDB
public import SedgateCore
public import Store

/// A search of the journal's SEDs; empty criteria match everything.
public struct MessageQuery: Sendable, Equatable {
    public var sedId = ""
    public var caseId = ""
    public var sender = ""
    public var receiver = ""
    public var sedType = ""
    public var state = ""
    /// Created on or after this day or time (ISO 8601).
    public var from = ""
    /// Created before the end of this day, or before this time.
    public var to = ""
    public var limit = 200

    public init() {}

    /// Reads the criteria from a query string's values.
    init(_ values: [String: String]) {
        sedId = values["sed", default: ""].trimmingCharacters(in: .whitespaces)
        caseId = values["case", default: ""].trimmingCharacters(in: .whitespaces)
        sender = values["sender", default: ""].trimmingCharacters(in: .whitespaces)
        receiver = values["receiver", default: ""].trimmingCharacters(in: .whitespaces)
        sedType = values["type", default: ""].trimmingCharacters(in: .whitespaces)
        state = values["state", default: ""].trimmingCharacters(in: .whitespaces)
        from = values["from", default: ""].trimmingCharacters(in: .whitespaces)
        to = values["to", default: ""].trimmingCharacters(in: .whitespaces)
    }

    /// The matching SEDs, newest first. Sender and receiver match an address or its start (`BE:` finds a country).
    public func run(_ journal: Journal) async throws -> [MessageRecord] {
        var conditions: [String] = []
        var arguments: [String] = []
        func add(_ sql: String, _ value: String) {
            conditions.append(sql)
            arguments.append(value)
        }
        if !sedId.isEmpty { add("sedId = ?", sedId.lowercased()) }
        if !caseId.isEmpty { add("json_extract(envelope, '$.caseId') = ?", caseId) }
        if !sender.isEmpty { add("json_extract(envelope, '$.sender') LIKE ? ESCAPE '\\'", Self.prefix(sender)) }
        if !receiver.isEmpty { add("json_extract(envelope, '$.receiver') LIKE ? ESCAPE '\\'", Self.prefix(receiver)) }
        if !sedType.isEmpty { add("json_extract(envelope, '$.sedType') = ?", sedType) }
        if !state.isEmpty { add("state = ?", state) }
        if !from.isEmpty { add("createdAt >= ?", from) }
        // A day alone means its end: "to 2026-12-07" includes what came that day.
        if !to.isEmpty { add("createdAt < ?", to.count == 10 ? to + "T24" : to) }
        let sql =
            "SELECT * FROM message" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY seq DESC LIMIT \(max(1, limit))"
        let values = arguments
        return try await journal.database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).compactMap(Self.record)
        }
    }

    static func prefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }

    /// A journal row as a record (the journal's own decoding is internal to Store).
    static func record(_ row: Row) -> MessageRecord? {
        let text: String = row["envelope"]
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(text.utf8)),
            let sedId = SEDID(row["sedId"]), let peer = NodeID(row["peer"]), let origin = NodeID(row["origin"]),
            let direction = Direction(rawValue: row["direction"]), let state = SEDState(rawValue: row["state"])
        else { return nil }
        return MessageRecord(
            seq: row["seq"], sedId: sedId, direction: direction, state: state, file: row["file"], peer: peer,
            origin: origin, envelope: envelope, payloadPath: row["payloadPath"], size: row["size"],
            attempts: row["attempts"], lastError: row["lastError"], createdAt: row["createdAt"],
            updatedAt: row["updatedAt"])
    }

    /// Every record of one SED on this node (one per direction).
    static func records(_ sedId: SEDID, journal: Journal) async throws -> [MessageRecord] {
        try await journal.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM message WHERE sedId = ? ORDER BY seq", arguments: [sedId.rawValue])
                .compactMap(record)
        }
    }
}

/// The dashboard's traffic figures.
enum Traffic {
    /// SEDs first seen per hour over the last `hours` hours, per direction: the hour labels (`HH`) and counts.
    static func perHour(
        _ journal: Journal, hours: Int = 24, now: Date = Date()
    ) async throws
        -> (labels: [String], counts: [String: [Int]])
    {
        let start = now.addingTimeInterval(-Double(hours - 1) * 3_600)
        let first = String(Timestamp.iso8601(start).prefix(13))
        let rows = try await journal.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT substr(createdAt, 1, 13) AS hour, direction, COUNT(*) AS n FROM message
                    WHERE createdAt >= ? GROUP BY hour, direction
                    """, arguments: [first]
            ).map { (hour: $0["hour"] as String, direction: $0["direction"] as String, n: $0["n"] as Int) }
        }
        let keys = (0..<hours).map {
            String(Timestamp.iso8601(start.addingTimeInterval(Double($0) * 3_600)).prefix(13))
        }
        var counts: [String: [Int]] = [:]
        for row in rows {
            guard let index = keys.firstIndex(of: row.hour) else { continue }
            counts[row.direction, default: Array(repeating: 0, count: hours)][index] += row.n
        }
        return (keys.map { String($0.suffix(2)) + "h" }, counts)
    }

    /// SEDs per partner node and direction, over all the journal keeps.
    static func perPartner(_ journal: Journal) async throws -> [(peer: String, counts: [String: Int])] {
        let rows = try await journal.database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT peer, direction, COUNT(*) AS n FROM message GROUP BY peer, direction ORDER BY peer"
            ).map { (peer: $0["peer"] as String, direction: $0["direction"] as String, n: $0["n"] as Int) }
        }
        var table: [String: [String: Int]] = [:]
        for row in rows { table[row.peer, default: [:]][row.direction] = row.n }
        return table.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Per peer: SEDs waiting for it, the oldest wait, and the newest last error.
    static func peers(_ journal: Journal) async throws -> [(peer: String, waiting: Int, oldest: String, error: String)]
    {
        try await journal.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT peer,
                        SUM(CASE WHEN state IN ('accepted', 'stored', 'held') THEN 1 ELSE 0 END) AS waiting,
                        MIN(CASE WHEN state IN ('accepted', 'stored', 'held') THEN createdAt END) AS oldest,
                        (SELECT lastError FROM message m2 WHERE m2.peer = m.peer AND lastError IS NOT NULL
                            ORDER BY updatedAt DESC LIMIT 1) AS error
                    FROM message m WHERE direction IN ('out', 'relay') GROUP BY peer ORDER BY peer
                    """
            ).map { ($0["peer"], $0["waiting"] ?? 0, $0["oldest"] ?? "", $0["error"] ?? "") }
        }
    }
}
