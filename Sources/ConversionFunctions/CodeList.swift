// CodeList: one admin-editable code list (`conversions/codelists/<id>.tsv`), looked up both ways.

import SedgateCore

/// A code list: `from → to` rows with an id, a version and a source, invertible when each `to` is unique.
///
/// File format (see conversions/README.md): a header of `# id:`, `# version:`, `# source:`, `# invertible:`
/// lines, then `from<TAB>to` rows. A third cell `alias` marks a row as one-way: it is looked up forwards
/// but never chosen by a reverse look-up (EESSI's `UK` and `EL` next to ISO's `GB` and `GR`).
struct CodeList: Sendable {
    /// The list's id, used in `code:lookup('id', …)`.
    let id: String
    /// The version string from the header, for audit (`code:list-version`).
    let version: String
    /// Where the codes come from.
    let source: String
    /// Whether reverse look-ups are allowed.
    let invertible: Bool
    /// The file it was read from.
    let path: String
    /// from → to.
    let forward: [String: String]
    /// to → from (non-alias rows only); empty when not invertible.
    let reverse: [String: String]
    /// Every `from` code in file order, for documentation.
    let keys: [String]

    /// Parses a code-list file; refuses duplicate keys in either direction of an invertible list.
    init(path: String) throws(SedgateError) {
        let file = try DataFile(path: path)
        self.path = path
        self.id = try file.required("id")
        self.version = try file.required("version")
        self.source = file.metadata["source"] ?? ""
        self.invertible = try file.flag("invertible", default: false)
        var forward: [String: String] = [:]
        var reverse: [String: String] = [:]
        var forwardLine: [String: Int] = [:]
        var reverseLine: [String: Int] = [:]
        var keys: [String] = []
        for row in file.rows {
            guard row.cells.count == 2 || (row.cells.count == 3 && row.cells[2] == "alias") else {
                throw SedgateError(
                    .configuration,
                    "code list \(path) line \(row.line): expected 'from<TAB>to' (optionally '<TAB>alias'), "
                        + "found \(row.cells.count) cell(s); separate the columns with one tab",
                    location: .init(file: path, line: row.line))
            }
            let from = row.cells[0]
            let to = row.cells[1]
            if let first = forwardLine[from] {
                throw SedgateError(
                    .configuration,
                    "code list \(path) line \(row.line): code '\(from)' is already mapped on line \(first); "
                        + "remove one of the two rows",
                    location: .init(file: path, line: row.line))
            }
            forwardLine[from] = row.line
            forward[from] = to
            keys.append(from)
            guard invertible, row.cells.count == 2 else { continue }
            if let first = reverseLine[to] {
                throw SedgateError(
                    .configuration,
                    "code list \(path) line \(row.line): value '\(to)' is already the target of line \(first), "
                        + "so the invertible list cannot be read backwards; mark one row '<TAB>alias' or set "
                        + "'# invertible: no'",
                    location: .init(file: path, line: row.line))
            }
            reverseLine[to] = row.line
            reverse[to] = from
        }
        self.forward = forward
        self.reverse = reverse
        self.keys = keys
    }

    /// Every list in `directory` by id; refuses two files with the same id.
    static func loadAll(directory: String) throws(SedgateError) -> [String: CodeList] {
        var lists: [String: CodeList] = [:]
        for path in try DataFile.files(in: directory) {
            let list = try CodeList(path: path)
            if let other = lists[list.id] {
                throw SedgateError(
                    .configuration,
                    "code lists \(other.path) and \(path) both declare id '\(list.id)'; give each list its own id",
                    location: .init(file: path))
            }
            lists[list.id] = list
        }
        return lists
    }
}
