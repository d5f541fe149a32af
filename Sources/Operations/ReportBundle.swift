// ReportBundle: `sedgate report-bundle`: one archive for a support ticket (tender p40): the configuration with
// secrets removed, versions, the tails of the given logs, the queue shape and counts, journal integrity, alerts and a
// week of statistics. Built in a temporary folder and packed with tar.

import Foundation
import GRDB
import SedgateCore
public import Store

/// Gathers a node's support bundle.
public enum ReportBundle {
    /// Keys whose values are never copied: paths to private keys, credentials, URLs that may carry tokens.
    static let secretKeys = ["private-key", "password", "secret", "token", "webhook"]

    /// `text` (a TOML file) with the value of every secret key replaced by `"<removed>"`.
    public static func redact(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let key = line.split(separator: "=", maxSplits: 1).first?.trimmingCharacters(in: .whitespaces) ?? ""
            guard line.contains("="), secretKeys.contains(where: { key.lowercased().contains($0) }) else {
                return String(line)
            }
            return "\(key) = \"<removed>\""
        }.joined(separator: "\n")
    }

    /// Writes the bundle for the node configured at `config` to `output` (a .tar.gz); returns the files it holds.
    public static func make(
        config: String, context: NodeContext, journal: Journal, logs: [String], output: String, logLines: Int = 5_000
    ) async throws -> [String] {
        let stamp = Timestamp.now().replacingOccurrences(of: ":", with: "")
        let name = "sedgate-report-\(context.node)-\(stamp)"
        let work = NSTemporaryDirectory() + "/" + UUID().uuidString
        let folder = work + "/" + name
        try FileManager.default.createDirectory(atPath: folder + "/logs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        func write(_ file: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/" + file))
        }

        try write("configuration.toml", redact(try String(contentsOfFile: config, encoding: .utf8)))
        let sqlite =
            (try? await journal.database.read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") })
        var versions = "node: \(context.node) (\(context.role))\nbinary: \(CommandLine.arguments[0])\n"
        versions += "os: \(ProcessInfo.processInfo.operatingSystemVersionString)\n"
        versions += "sqlite: \((sqlite ?? nil) ?? "unknown")\ncollected: \(Timestamp.now())\n"
        try write("versions.txt", versions)

        try write("queue-shape.txt", (try? await QueueShape.read(journal).render()) ?? "unreadable\n")
        var counts = ""
        for (direction, states) in (try? await journal.counts()) ?? [:] {
            for (state, count) in states.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                counts += "\(direction.rawValue)\t\(state.rawValue)\t\(count)\n"
            }
        }
        try write("journal-counts.tsv", counts)
        let integrity: String
        do { integrity = try await journal.integrityCheck() } catch { integrity = "\(error)" }
        let synchronous = (try? await journal.synchronousLevel()).map(String.init) ?? "unknown"
        try write("journal-integrity.txt", "integrity_check: \(integrity)\nsynchronous: \(synchronous)\n")

        if FileManager.default.fileExists(atPath: context.alertsPath) {
            let store = try AlertStore(path: context.alertsPath)
            let alerts = try await store.alerts(open: false)
            try write(
                "alerts.txt",
                alerts.map {
                    "#\($0.id) \($0.rule) \($0.subject) opened \($0.openedAt) reset \($0.closedAt ?? "-"): \($0.detail)"
                }.joined(separator: "\n") + "\n")
        }
        if FileManager.default.fileExists(atPath: context.statisticsPath) {
            let statistics = try StatisticsStore(path: context.statisticsPath)
            let since = String(Timestamp.iso8601(Date().addingTimeInterval(-7 * 86_400)).prefix(10))
            let table = try await statistics.query(from: since, to: nil, by: ["day", "direction", "state"])
            try write("statistics-7-days.csv", table.render("csv"))
        }
        for log in logs {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? "cannot read \(log)\n"
            let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(logLines)
            try write("logs/" + (log as NSString).lastPathComponent, tail.joined(separator: "\n"))
        }

        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-czf", output, "-C", work, name]
        try tar.run()
        tar.waitUntilExit()
        guard tar.terminationStatus == 0 else {
            throw SedgateError(.io, "tar could not write \(output) (status \(tar.terminationStatus))")
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder).sorted()
        return files.map { name + "/" + $0 }
    }
}
