// ReportWriter: writes `Report`s as JSON files into `reports/`, atomically. Writes one file per call.

import Foundation
public import SedgateCore

/// Writes status reports to the `reports/` folder.
///
/// File names are `<flat>.<id>.<state>.json`: `<flat>` is the original name relative to `outbound/` with `/` replaced
/// by `__` (`profile/claim.xml` → `profile__claim.xml`), `<id>` the SED id (or the intake ticket when no SED id was
/// assigned, or `unidentified`), `<state>` the `SEDState` raw value. A batch job waiting for delivery globs
/// `reports/<name>.*.delivered.json`. Each file is written whole or not at all: its bytes are fsynced under a
/// temporary name, renamed into place, and the folder is fsynced, so a reader never sees a partial report and a
/// power cut never leaves an empty one. A node writes a report only after the journal commit it reports.
public struct ReportWriter: Sendable {
    /// The `reports/` folder.
    public let directory: String

    /// A writer into `directory` (which must exist).
    public init(directory: String) {
        self.directory = directory
    }

    /// The file name `report` is written under (see the type's documentation).
    public static func fileName(for report: Report) -> String {
        let id = PathComponent.safe(report.sedId ?? report.ticket ?? "unidentified")
        let flat = PathComponent.flat(report.file)
        // The id and state are short; only the original name is shortened if the whole is too long.
        let suffix = ".\(id).\(report.state.rawValue).json"
        let room = max(16, 250 - suffix.utf8.count)
        var head = ""
        for character in flat {
            if head.utf8.count + String(character).utf8.count > room { break }
            head.append(character)
        }
        return head + suffix
    }

    /// Writes `report` as pretty, key-sorted JSON; replaces an earlier report of the same name. Returns the path.
    @discardableResult
    public func write(_ report: Report) throws(SedgateError) -> String {
        let path = Syscall.join(directory, Self.fileName(for: report))
        // Durable: a batch job acts on a report (deletes its copy, tells a clerk), so a power cut must not take
        // back one it may have read, nor leave a renamed but empty file.
        try SpoolFile.writeAtomically(try Self.bytes(report), to: path)
        return path
    }

    /// Writes many reports, each whole or not at all, with one sync of the folder for all of them (group commit):
    /// each file is synced under its temporary name, all are renamed into place, then the folder is synced once.
    public func writeAll(_ reports: [Report]) throws(SedgateError) {
        guard reports.count > 1 else {
            if let report = reports.first { try write(report) }
            return
        }
        let files = try reports.map { (report) throws(SedgateError) in
            (path: Syscall.join(directory, Self.fileName(for: report)), bytes: try Self.bytes(report))
        }
        try SpoolFile.writeAllAtomically(files, in: directory)
    }

    static func bytes(_ report: Report) throws(SedgateError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(report)) + [UInt8(ascii: "\n")]
        } catch {
            throw SedgateError(
                .io, "could not encode the report for \(report.file): \(error); this is a bug, report it",
                cause: error)
        }
    }
}
