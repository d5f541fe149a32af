// QueueShape: `sedgate queue shape`, after Postfix's qshape: the SEDs waiting per destination, counted by how
// long they have waited (buckets of minutes doubling from 5), so a stuck destination stands out at a glance.

public import Foundation
public import SedgateCore

/// SEDs waiting per destination by age bucket.
public struct QueueShape: Sendable, Equatable {
    /// Bucket upper bounds in minutes; the last column counts everything older.
    public static let buckets = [5, 10, 20, 40, 80, 160, 320, 640, 1_280]

    /// Per destination (`direction/peer`): the total, then one count per bucket and one for older.
    public var rows: [(destination: String, counts: [Int])]

    public static func == (lhs: QueueShape, rhs: QueueShape) -> Bool {
        lhs.rows.map(\.destination) == rhs.rows.map(\.destination) && lhs.rows.map(\.counts) == rhs.rows.map(\.counts)
    }

    /// Shapes `waiting` (destination, since when) as seen at `now`.
    public init(waiting: [(destination: String, since: Date)], now: Date) {
        var table: [String: [Int]] = [:]
        for item in waiting {
            var counts = table[item.destination] ?? Array(repeating: 0, count: Self.buckets.count + 2)
            let minutes = max(0, now.timeIntervalSince(item.since) / 60)
            let bucket = Self.buckets.firstIndex { minutes < Double($0) } ?? Self.buckets.count
            counts[0] += 1
            counts[bucket + 1] += 1
            table[item.destination] = counts
        }
        rows = table.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Reads the SEDs waiting to be sent (outbound) or forwarded (relay) from the journal.
    public static func read(_ journal: any QueueSource, now: Date = Date()) async throws -> QueueShape {
        let rows = try await journal.waitingSince()
        let waiting = rows.compactMap { row -> (destination: String, since: Date)? in
            Timestamp.parse(row.since).map { (row.destination, $0) }
        }
        return QueueShape(waiting: waiting, now: now)
    }

    /// The table: a TOTAL row, then one row per destination.
    public func render() -> String {
        let header = ["", "T"] + Self.buckets.map(String.init) + ["\(Self.buckets.last!)+"]
        var totals = Array(repeating: 0, count: Self.buckets.count + 2)
        for row in rows { for (index, count) in row.counts.enumerated() { totals[index] += count } }
        let lines =
            [header, ["TOTAL"] + totals.map(String.init)] + rows.map { [$0.destination] + $0.counts.map(String.init) }
        let first = max(12, (lines.map { $0[0].count }.max() ?? 0) + 1)
        return lines.map { cells in
            cells[0].padding(toLength: first, withPad: " ", startingAt: 0)
                + cells.dropFirst().map { String(repeating: " ", count: max(0, 6 - $0.count)) + $0 }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
