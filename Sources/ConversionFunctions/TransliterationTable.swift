// TransliterationTable: one script's official rule table (`conversions/transliteration/<id>.tsv`), parsed.

import Foundation
import SedgateCore

/// A rule table: `from → to` rules over lower-case letters, longest match first, with optional conditions.
///
/// Header: `# id:` (e.g. `el`), `# name:`, `# source:`, `# aliases:` (other names and country codes that select
/// it, comma-separated), `# ranges:` (hex scalar ranges of its script, e.g. `0370-03FF, 1F00-1FFF`),
/// `# default-for-script: yes` (used when no language is declared) or `# role: fallback` (applied to whatever
/// no script table took, e.g. Ł → L). Rows: `from<TAB>to[<TAB>conditions]`, conditions space-separated, all
/// must hold: `word-start`, `word-end`, `not-word-start`, `not-word-end`, `before:<letters>`,
/// `not-before:<letters>`, `after:<letters>`.
struct TransliterationTable: Sendable {
    /// One rule.
    struct Rule: Sendable {
        let from: [Unicode.Scalar]
        let to: String
        let conditions: [Condition]
        let line: Int
    }

    /// A context test a rule needs.
    enum Condition: Sendable {
        case wordStart, wordEnd, notWordStart, notWordEnd
        case before(Set<Unicode.Scalar>), notBefore(Set<Unicode.Scalar>), after(Set<Unicode.Scalar>)
    }

    /// The table's id (`el`, `bg`).
    let id: String
    /// Human name for audit records (`Greek ELOT 743:2001`).
    let name: String
    /// Lower-cased ids, aliases and country codes that select this table.
    let names: Set<String>
    /// Scalar ranges of the script the table transliterates.
    let ranges: [ClosedRange<UInt32>]
    /// Whether the table is used for its script when no language is declared.
    let isDefaultForScript: Bool
    /// Whether the table is the Latin-1 fallback for scalars no script table took.
    let isFallback: Bool
    /// Rules by their first scalar, longest first, then in file order.
    let rules: [Unicode.Scalar: [Rule]]
    /// The file it was read from.
    let path: String

    /// Parses a table file.
    init(path: String) throws(SedgateError) {
        let file = try DataFile(path: path)
        self.path = path
        id = try file.required("id")
        name = file.metadata["name"] ?? id
        var names: Set<String> = [id.lowercased()]
        for alias in (file.metadata["aliases"] ?? "").split(separator: ",") {
            let trimmed = alias.trimmingCharacters(in: .whitespaces).lowercased()
            if !trimmed.isEmpty { names.insert(trimmed) }
        }
        self.names = names
        ranges = try Self.parseRanges(file.metadata["ranges"] ?? "", path: path)
        isDefaultForScript = try file.flag("default-for-script", default: false)
        isFallback = file.metadata["role"]?.lowercased() == "fallback"
        var buckets: [Unicode.Scalar: [Rule]] = [:]
        for row in file.rows {
            guard row.cells.count == 2 || row.cells.count == 3, let first = row.cells[0].unicodeScalars.first else {
                throw SedgateError(
                    .configuration,
                    "transliteration table \(path) line \(row.line): expected 'from<TAB>to[<TAB>conditions]'; "
                        + "separate the columns with one tab",
                    location: .init(file: path, line: row.line))
            }
            let conditions = try Self.parseConditions(
                row.cells.count == 3 ? row.cells[2] : "", path: path, line: row.line)
            let from = Array(row.cells[0].unicodeScalars)
            buckets[first, default: []].append(
                Rule(from: from, to: row.cells[1], conditions: conditions, line: row.line))
        }
        // Longest match first; a stable sort keeps file order among rules of one length (conditional before plain).
        rules = buckets.mapValues { bucket in
            bucket.enumerated().sorted { ($1.element.from.count, $0.offset) < ($0.element.from.count, $1.offset) }
                .map(\.element)
        }
    }

    /// Whether `scalar` belongs to this table's script.
    func covers(_ scalar: Unicode.Scalar) -> Bool {
        ranges.contains { $0.contains(scalar.value) }
    }

    /// Every table in `directory` by id.
    static func loadAll(directory: String) throws(SedgateError) -> [String: TransliterationTable] {
        var tables: [String: TransliterationTable] = [:]
        for path in try DataFile.files(in: directory) {
            let table = try TransliterationTable(path: path)
            if let other = tables[table.id] {
                throw SedgateError(
                    .configuration,
                    "transliteration tables \(other.path) and \(path) both declare id '\(table.id)'; rename one",
                    location: .init(file: path))
            }
            tables[table.id] = table
        }
        return tables
    }

    private static func parseRanges(_ text: String, path: String) throws(SedgateError) -> [ClosedRange<UInt32>] {
        var ranges: [ClosedRange<UInt32>] = []
        for part in text.split(separator: ",") {
            let bounds = part.trimmingCharacters(in: .whitespaces).split(separator: "-")
            guard bounds.count == 2, let low = UInt32(bounds[0], radix: 16), let high = UInt32(bounds[1], radix: 16),
                low <= high
            else {
                throw SedgateError(
                    .configuration,
                    "transliteration table \(path): '# ranges:' part '\(part)' is not a hex range like 0370-03FF",
                    location: .init(file: path))
            }
            ranges.append(low...high)
        }
        return ranges
    }

    private static func parseConditions(_ text: String, path: String, line: Int) throws(SedgateError) -> [Condition] {
        var conditions: [Condition] = []
        for word in text.split(separator: " ") {
            let scalars = { (prefix: String) in Set(word.dropFirst(prefix.count).unicodeScalars) }
            switch word {
            case "word-start": conditions.append(.wordStart)
            case "word-end": conditions.append(.wordEnd)
            case "not-word-start": conditions.append(.notWordStart)
            case "not-word-end": conditions.append(.notWordEnd)
            case _ where word.hasPrefix("before:"): conditions.append(.before(scalars("before:")))
            case _ where word.hasPrefix("not-before:"): conditions.append(.notBefore(scalars("not-before:")))
            case _ where word.hasPrefix("after:"): conditions.append(.after(scalars("after:")))
            default:
                throw SedgateError(
                    .configuration,
                    "transliteration table \(path) line \(line): unknown condition '\(word)'; use word-start, "
                        + "word-end, not-word-start, not-word-end, before:…, not-before:… or after:…",
                    location: .init(file: path, line: line))
            }
        }
        return conditions
    }
}
