// Statistics: counts and volumes of SEDs from their envelopes only (never their content), kept in
// `<spool>/var/statistics.sqlite`, apart from the journal, so they outlive its `keep-days` purge. A harvester copies
// each SED's envelope fields, current state and the times of its states from the journal (every `[statistics]
// harvest-s`, and before each `sedgate stats`); queries group them by day, hour, country, sector, BUC, SED type,
// access point, state, with latency percentiles per hop.

import Foundation
public import GRDB
public import Logging
import Metrics
public import SedgateCore
public import ServiceLifecycle

/// The statistics database of one node.
public final class StatisticsStore: Sendable {
    public let database: DatabaseQueue

    /// The states whose first time is kept per SED, for the hop latencies.
    static let timedStates: [SEDState] = [
        .accepted, .sent, .delivered, .routed, .stored, .forwarded, .received, .landed,
    ]

    /// The hops measured: a name, the direction, the state it starts at and the one it ends at.
    public static let hops: [(name: String, direction: Direction, from: SEDState, to: SEDState)] = [
        ("intake-to-cn", .outbound, .accepted, .sent),
        ("cn-to-destination", .outbound, .sent, .delivered),
        ("take-up", .outbound, .delivered, .routed),
        ("cn-forward", .relay, .stored, .forwarded),
        ("receive-to-inbound", .inbound, .received, .landed),
    ]

    public init(path: String) throws(SedgateError) {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            database = try DatabaseQueue(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                let times = Self.timedStates.map { "\"\($0.rawValue)\" INTEGER" }.joined(separator: ", ")
                try db.execute(
                    sql: """
                        CREATE TABLE sed (
                            sedId TEXT NOT NULL, direction TEXT NOT NULL, at TEXT NOT NULL,
                            sendingCountry TEXT NOT NULL, receivingCountry TEXT NOT NULL, sector TEXT NOT NULL,
                            buc TEXT NOT NULL, sedType TEXT NOT NULL, sendingAP TEXT NOT NULL,
                            receivingAP TEXT NOT NULL, state TEXT NOT NULL, bytes INTEGER NOT NULL, \(times),
                            PRIMARY KEY (sedId, direction)
                        );
                        CREATE INDEX sed_at ON sed (at);
                        CREATE TABLE watermark (id INTEGER PRIMARY KEY CHECK (id = 1), eventId INTEGER NOT NULL);
                        """)
            }
            try migrator.migrate(database)
        } catch {
            throw SedgateError(.storage, "cannot open the statistics at \(path)", cause: error)
        }
    }

    /// Copies every SED the journal changed since the last harvest; returns how many rows it wrote. Hops that
    /// completed since are recorded in the `sedgate_hop_latency_seconds{hop}` histogram. The journal's event ids
    /// are the watermark: each state change appends one. A SED harvested again is rewritten the same (its row is
    /// replaced, and a hop already recorded is not recorded twice), so a source may re-read a window below it.
    @discardableResult
    public func harvest(_ source: any StatisticsSource, batch: Int = 5_000) async throws(SedgateError) -> Int {
        var total = 0
        while true {
            let (count, more) = try await harvestBatch(source, batch: batch)
            total += count
            if !more { return total }
        }
    }

    private func harvestBatch(_ source: any StatisticsSource, batch: Int) async throws(SedgateError) -> (Int, Bool) {
        do {
            let watermark = try await database.read { db in
                try Int64.fetchOne(db, sql: "SELECT eventId FROM watermark WHERE id = 1") ?? 0
            }
            let (rows, latest, more) = try await source.changes(after: watermark, limit: batch)
            // A source may return SEDs below the watermark again (the cluster's late commits): write them too.
            guard latest > watermark || !rows.isEmpty else { return (0, false) }
            let completed = try await database.write { db -> [(String, Double)] in
                var completed: [(String, Double)] = []
                let decoder = JSONDecoder()
                let columns =
                    [
                        "sedId", "direction", "at", "sendingCountry", "receivingCountry", "sector", "buc", "sedType",
                        "sendingAP", "receivingAP", "state", "bytes",
                    ] + Self.timedStates.map { "\"\($0.rawValue)\"" }
                let insert = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO sed (\(columns.joined(separator: ", "))) VALUES ("
                        + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")")
                let lookup = try db.cachedStatement(sql: "SELECT * FROM sed WHERE sedId = ? AND direction = ?")
                for message in rows {
                    let times = message.times
                    guard let envelope = try? decoder.decode(Envelope.self, from: Data(message.envelope.utf8)),
                        let direction = Direction(rawValue: message.direction)
                    else { continue }
                    let sedId = message.sedId
                    let previous = try Row.fetchOne(lookup, arguments: [sedId, direction.rawValue])
                    var milliseconds: [String: Int64] = [:]
                    for state in Self.timedStates {
                        if let text = times[state.rawValue], let value = Self.epochMilliseconds(text) {
                            milliseconds[state.rawValue] = value
                        }
                    }
                    for hop in Self.hops where hop.direction == direction {
                        guard let start = milliseconds[hop.from.rawValue], let end = milliseconds[hop.to.rawValue]
                        else { continue }
                        let before: Int64? = previous?[hop.to.rawValue]
                        if before == nil { completed.append((hop.name, Double(max(0, end - start)) / 1_000)) }
                    }
                    let first = times.values.min() ?? message.createdAt
                    let peer = message.peer
                    let origin = message.origin
                    let sendingAP = envelope.sendingAP?.rawValue ?? (direction == .outbound ? "" : origin)
                    let receivingAP = envelope.receivingAP?.rawValue ?? (direction == .relay ? peer : "")
                    var values: [any DatabaseValueConvertible] = [
                        sedId, direction.rawValue, first, envelope.sender.country, envelope.receiver.country,
                        envelope.sector, envelope.bucType, envelope.sedType, sendingAP, receivingAP,
                        message.state, message.size,
                    ]
                    for state in Self.timedStates {
                        values.append(
                            milliseconds[state.rawValue].map { $0 as any DatabaseValueConvertible }
                                ?? DatabaseValue.null)
                    }
                    try insert.execute(arguments: StatementArguments(values))
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO watermark (id, eventId) VALUES (1, ?)", arguments: [latest])
                return completed
            }
            for (hop, seconds) in completed {
                Metrics.Timer(label: "sedgate_hop_latency_seconds", dimensions: [("hop", hop)])
                    .recordNanoseconds(Int64(seconds * 1e9))
            }
            return (rows.count, more)
        } catch {
            throw SedgateError(.storage, "cannot gather statistics from the journal", cause: error)
        }
    }

    /// Milliseconds since 1970 of a journal timestamp (`2026-12-07T04:45:00.123Z`), read digit by digit: the
    /// harvest reads several per SED, and a date parser costs far more. Other shapes go through `Timestamp.parse`.
    static func epochMilliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24, bytes[4] == 0x2D, bytes[10] == 0x54, bytes[19] == 0x2E, bytes[23] == 0x5A else {
            return Timestamp.parse(text).map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) }
        }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = Int64(bytes[index]) - 0x30
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let milli = number(20..<23), (1...12).contains(month)
        else { return nil }
        // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1_000 + milli
    }

    /// The dimensions a query may group by, with the column each reads.
    public static let dimensions: [(name: String, column: String)] = [
        ("day", "substr(at, 1, 10)"), ("hour", "substr(at, 1, 13) || ':00'"), ("direction", "direction"),
        ("sending-country", "sendingCountry"), ("receiving-country", "receivingCountry"), ("sector", "sector"),
        ("buc", "buc"), ("sed-type", "sedType"), ("sending-ap", "sendingAP"), ("receiving-ap", "receivingAP"),
        ("state", "state"),
    ]

    /// Expands `--by` names (`country` is both countries, `ap` both access points) and checks them.
    public static func dimensions(_ names: [String]) throws(SedgateError) -> [String] {
        var result: [String] = []
        for name in names {
            let expanded =
                switch name {
                case "country": ["sending-country", "receiving-country"]
                case "ap": ["sending-ap", "receiving-ap"]
                case "type": ["sed-type"]
                default: [name]
                }
            for dimension in expanded {
                guard dimensions.contains(where: { $0.name == dimension }) else {
                    throw SedgateError(
                        .configuration,
                        "'\(name)' is not a statistics dimension; use "
                            + (["country", "ap"] + dimensions.map(\.name)).joined(separator: ", "))
                }
                if !result.contains(dimension) { result.append(dimension) }
            }
        }
        return result
    }

    /// Counts, bytes and hop latency percentiles (50th, 95th, in milliseconds) of the SEDs first seen in
    /// [`from`, `to`), grouped by `by`.
    public func query(from: String?, to: String?, by: [String]) async throws(SedgateError) -> StatisticsTable {
        let columns = by.map { name in Self.dimensions.first { $0.name == name }!.column }
        var conditions: [String] = []
        var arguments: [String] = []
        if let from {
            conditions.append("at >= ?")
            arguments.append(from)
        }
        if let to {
            conditions.append("at < ?")
            arguments.append(to)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // Grouped, counted and ranked by SQLite: a query over years reads no row into the process.
        let keys = columns.enumerated().map { "\($1) AS d\($0)" }
        let names = columns.indices.map { "d\($0)" }
        let grouping = names.isEmpty ? "" : "GROUP BY " + names.joined(separator: ", ")
        let partition = names.isEmpty ? "" : "PARTITION BY " + names.joined(separator: ", ")
        let counting =
            "SELECT " + (keys + ["COUNT(*) AS seds", "SUM(bytes) AS bytes"]).joined(separator: ", ")
            + " FROM sed \(filter) \(grouping)"
        do {
            let (conditions, arguments) = (conditions, arguments)
            let (groups, hopRanks) = try await database.read {
                db -> ([[String]: [Int64]], [String: [[String]: [Int64]]]) in
                var groups: [[String]: [Int64]] = [:]
                for row in try Row.fetchAll(db, sql: counting, arguments: StatementArguments(arguments)) {
                    let seds: Int64 = row["seds"]
                    guard seds > 0 else { continue }
                    groups[names.map { (row[$0] as String?) ?? "" }] = [seds, row["bytes"] as Int64? ?? 0]
                }
                var hopRanks: [String: [[String]: [Int64]]] = [:]
                for hop in Self.hops {
                    let diff = "MAX(0, \"\(hop.to.rawValue)\" - \"\(hop.from.rawValue)\")"
                    let hopFilter =
                        (conditions + [
                            "direction = '\(hop.direction.rawValue)'", "\"\(hop.from.rawValue)\" IS NOT NULL",
                            "\"\(hop.to.rawValue)\" IS NOT NULL",
                        ]).joined(separator: " AND ")
                    // Nearest rank: the ceil(p × n)-th smallest latency of each group, for p = 50 % and 95 %.
                    let ranked = """
                        SELECT \((names + ["diff", "rank", "n"]).joined(separator: ", ")) FROM (
                            SELECT \((names + ["diff"]).joined(separator: ", ")),
                                ROW_NUMBER() OVER (\(partition) ORDER BY diff) AS rank,
                                COUNT(*) OVER (\(partition)) AS n
                            FROM (SELECT \((keys + ["\(diff) AS diff"]).joined(separator: ", ")) FROM sed WHERE \(hopFilter)))
                        WHERE rank = (n * 50 + 99) / 100 OR rank = (n * 95 + 99) / 100
                        """
                    for row in try Row.fetchAll(db, sql: ranked, arguments: StatementArguments(arguments)) {
                        let key = names.map { (row[$0] as String?) ?? "" }
                        let rank: Int64 = row["rank"]
                        let count: Int64 = row["n"]
                        let diff: Int64 = row["diff"]
                        var cells = hopRanks[hop.name, default: [:]][key] ?? [0, 0]
                        if rank == (count * 50 + 99) / 100 { cells[0] = diff }
                        if rank == (count * 95 + 99) / 100 { cells[1] = diff }
                        hopRanks[hop.name, default: [:]][key] = cells
                    }
                }
                return (groups, hopRanks)
            }
            let hopNames = Self.hops.map(\.name).filter { hopRanks[$0] != nil }
            var table = StatisticsTable(
                columns: by + ["seds", "bytes"] + hopNames.flatMap { ["\($0)-p50-ms", "\($0)-p95-ms"] }, rows: [])
            for key in groups.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                let totals = groups[key]!
                var cells = key + [String(totals[0]), String(totals[1])]
                for name in hopNames {
                    let ranks = hopRanks[name]?[key]
                    cells += [ranks.map { String($0[0]) } ?? "", ranks.map { String($0[1]) } ?? ""]
                }
                table.rows.append(cells)
            }
            return table
        } catch {
            throw SedgateError(.storage, "cannot read the statistics", cause: error)
        }
    }
}

/// A statistics result: named columns and rows of text cells, rendered as a table, CSV, JSON or XML.
public struct StatisticsTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]]

    public func render(_ format: String) -> String {
        switch format {
        case "csv":
            return ([columns] + rows).map { $0.map(Self.csv).joined(separator: ",") }.joined(separator: "\n") + "\n"
        case "json":
            let objects = rows.map { row in
                "{"
                    + zip(columns, row).map { "\(SedgateLogHandler.json($0)):\(Self.jsonValue($0, $1))" }
                    .joined(separator: ",") + "}"
            }
            return "[\n" + objects.map { "  " + $0 }.joined(separator: ",\n") + "\n]\n"
        case "xml":
            var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<statistics>\n"
            for row in rows {
                text += "  <row"
                for (column, cell) in zip(columns, row) { text += " \(column)=\"\(Self.xml(cell))\"" }
                text += "/>\n"
            }
            return text + "</statistics>\n"
        default:
            let widths = columns.indices.map { index in
                ([columns[index]] + rows.map { $0[index] }).map(\.count).max() ?? 0
            }
            func line(_ cells: [String]) -> String {
                zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }
            return ([line(columns), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line))
                .joined(separator: "\n") + "\n"
        }
    }

    static func csv(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonValue(_ column: String, _ cell: String) -> String {
        if column == "seds" || column == "bytes" || column.hasSuffix("-ms") {
            return cell.isEmpty ? "null" : cell
        }
        return SedgateLogHandler.json(cell)
    }

    static func xml(_ cell: String) -> String {
        cell.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// Copies the journal's changes into the statistics every `interval`, and once at start.
public struct StatisticsHarvester: Service {
    let statistics: StatisticsStore
    let journal: any StatisticsSource
    let interval: Duration
    let logger: Logger

    public init(statistics: StatisticsStore, journal: any StatisticsSource, interval: Duration, logger: Logger) {
        self.statistics = statistics
        self.journal = journal
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await statistics.harvest(journal)
            } catch {
                logger.error("cannot gather statistics", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
