// ReportWriter: writes `Report`s as JSON files into `reports/`, atomically. Writes one file per call.

import Foundation
public import SedgateCore

/// Writes status reports to the `reports/` folder.
///
/// File names are `<flat>.<id>.<state>.json`: `<flat>` is the original name relative to `outbound/` with `/` replaced
/// by `__` (`profile/claim.xml` → `profile__claim.xml`), `<id>` the SED id (or the intake ticket when no SED id was
/// assigned, or `unidentified`), `<state>` the `SEDState` raw value. A batch job waiting for delivery globs
/// `reports/<name>.*.delivered.json`. Each file is written atomically: a reader never sees a partial report.
/// Reports are not fsynced (the journal is); after a power cut the newest reports may be missing, never wrong.
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(report)
        } catch {
            throw SedgateError(
                .io, "could not encode the report for \(report.file): \(error); this is a bug, report it",
                cause: error)
        }
        let path = Syscall.join(directory, Self.fileName(for: report))
        // Atomic but not fsynced: a report is derived from the journal (the truth, which is fsynced) and
        // survives a process kill; flushing every report would double the fsyncs per SED.
        try SpoolFile.writeAtomically(Array(data) + [UInt8(ascii: "\n")], to: path, durable: false)
        return path
    }
}
