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
        try SpoolFile.writeAtomically(Self.bytes(report), to: path)
        return path
    }

    /// Writes many reports, each whole or not at all, with one sync of the folder for all of them (group commit):
    /// each file is synced under its temporary name, all are renamed into place, then the folder is synced once.
    /// With `keepingExisting`, a report whose file is already there is not written over (a repeated receipt, or a
    /// recovery writing it again, would otherwise move its `at` to a later, untrue time).
    public func writeAll(_ reports: [Report], keepingExisting: Bool = false) throws(SedgateError) {
        guard !reports.isEmpty else { return }
        if reports.count == 1, !keepingExisting {
            try write(reports[0])
            return
        }
        let files = reports.map { report in
            (path: Syscall.join(directory, Self.fileName(for: report)), bytes: Self.bytes(report))
        }
        try SpoolFile.writeAllAtomically(files, in: directory, keepingExisting: keepingExisting)
    }

    /// `report` as JSON, byte for byte what `JSONEncoder` writes with `.prettyPrinted, .sortedKeys,
    /// .withoutEscapingSlashes` (a test holds the two equal), plus a line feed; written directly, as a node writes
    /// a report for every SED in every state and the encoder's general machinery cost more than the file.
    static func bytes(_ report: Report) -> [UInt8] {
        var fields: [(String, JSONText)] = [("at", .string(report.at)), ("file", .string(report.file))]
        fields.append(("node", .string(report.node)))
        fields.append(("state", .string(report.state.rawValue)))
        if let value = report.sedId { fields.append(("sedId", .string(value))) }
        if let value = report.ticket { fields.append(("ticket", .string(value))) }
        if let value = report.code { fields.append(("code", .string(value))) }
        if let value = report.reason { fields.append(("reason", .string(value))) }
        if let location = report.location {
            var inner: [(String, JSONText)] = []
            if let value = location.file { inner.append(("file", .string(value))) }
            if let value = location.line { inner.append(("line", .number(value))) }
            if let value = location.column { inner.append(("column", .number(value))) }
            if let value = location.record { inner.append(("record", .number(value))) }
            if let value = location.field { inner.append(("field", .string(value))) }
            fields.append(("location", .object(inner)))
        }
        if let envelope = report.envelope {
            fields.append(("envelope", .object(envelope.map { ($0.key, .string($0.value)) })))
        }
        var out: [UInt8] = []
        out.reserveCapacity(1_024)
        JSONText.object(fields).write(into: &out, depth: 0)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

/// A JSON value as reports need it, written the way `JSONEncoder` pretty-prints with sorted keys.
enum JSONText {
    case string(String)
    case number(Int)
    case object([(String, JSONText)])

    func write(into out: inout [UInt8], depth: Int) {
        switch self {
        case .string(let text): Self.quote(text, into: &out)
        case .number(let value): out.append(contentsOf: String(value).utf8)
        case .object(let members):
            guard !members.isEmpty else {
                out.append(contentsOf: "{\n\n".utf8)
                Self.indent(depth, into: &out)
                out.append(UInt8(ascii: "}"))
                return
            }
            out.append(contentsOf: "{\n".utf8)
            // The encoder's order: keys compared by their UTF-8 bytes.
            let sorted = members.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            for (index, (key, value)) in sorted.enumerated() {
                Self.indent(depth + 1, into: &out)
                Self.quote(key, into: &out)
                out.append(contentsOf: " : ".utf8)
                value.write(into: &out, depth: depth + 1)
                out.append(contentsOf: (index == sorted.count - 1 ? "\n" : ",\n").utf8)
            }
            Self.indent(depth, into: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func indent(_ depth: Int, into out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * depth))
    }

    private static func quote(_ text: String, into out: inout [UInt8]) {
        JSONString.quote(text, escapingSlashes: false, into: &out)
    }
}
