// DirectoryStore+Search: free-text search over the FTS5 index (every word, as a prefix, or any of its synonyms) and
// attribute filters (country, kind, function, sector, benefit), EHIC issuers first, then by relevance.

import GRDB
public import SedgateCore

/// A directory search: words and attribute filters, all optional.
public struct DirectoryQuery: Sendable, Hashable {
    public var text: String
    public var kind: EntryKind?
    public var country: String?
    /// Coded attribute filters: field name → code (`function` → `LB`, `sector` → `S`, `benefit` → `OLD-AGE`).
    public var attributes: [String: String]
    public var limit: Int

    /// Makes a query.
    public init(
        text: String = "", kind: EntryKind? = nil, country: String? = nil, attributes: [String: String] = [:],
        limit: Int = 20
    ) {
        self.text = text
        self.kind = kind
        self.country = country
        self.attributes = attributes
        self.limit = limit
    }
}

extension DirectoryStore {
    /// The FTS5 match expression for `text`: each folded word as a prefix, or one of its synonyms; all words must match.
    func matchExpression(_ text: String) -> String? {
        let words = self.text.fold(text).split(separator: " ").map(String.init)
        guard !words.isEmpty else { return nil }
        return words.map { word in
            // The word as typed matches as a prefix; its synonyms match whole (fewer index terms to walk).
            let group = ["\"\(word)\"*"] + self.text.synonyms(of: word).filter { $0 != word }.map { "\"\($0)\"" }
            return group.count == 1 ? group[0] : "(" + group.joined(separator: " OR ") + ")"
        }.joined(separator: " AND ")
    }

    /// The entries matching `query`: EHIC issuers first, then the best matches.
    ///
    /// Words are looked up best first through FTS5's own ordering (the EHIC issuers among the matches, then the
    /// others), a bounded number of candidates each, and the attribute filters applied to those; only when the
    /// candidates run out before the page is full is every match ranked (the complete, slower query).
    public func search(_ query: DirectoryQuery) throws(SedgateError) -> [DirectoryEntry] {
        let limit = max(1, min(query.limit, 1_000))
        guard let match = matchExpression(query.text) else { return try searchAll(query) }
        let candidates = max(limit * 10, 200)
        var found: [DirectoryEntry] = []
        var seen = Set<String>()
        for expression in ["(\(match)) AND \"\(Self.ehicMarker)\"", match] {
            let rowids = try read { db in
                try Int64.fetchAll(
                    db,
                    sql: "SELECT rowid FROM directory_search WHERE directory_search MATCH ? ORDER BY rank LIMIT ?",
                    arguments: [expression, candidates])
            }
            for entry in try filtered(rowids, query) where !seen.contains(entry.id) {
                seen.insert(entry.id)
                found.append(entry)
                if found.count == limit { return found }
            }
            // Cut short: there may be more matches past the candidates; rank them all.
            if rowids.count == candidates { return try searchAll(query) }
        }
        return found
    }

    /// The entries of `rowids` (in that order) that pass the query's kind, country and attribute filters.
    private func filtered(_ rowids: [Int64], _ query: DirectoryQuery) throws(SedgateError) -> [DirectoryEntry] {
        guard !rowids.isEmpty else { return [] }
        var conditions = ["e.rowid IN (\(rowids.map(String.init).joined(separator: ",")))"]
        var arguments: [any DatabaseValueConvertible] = []
        try addFilters(query, to: &conditions, &arguments)
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT e.rowid, e.body FROM directory_entry e WHERE " + conditions.joined(separator: " AND "),
                arguments: StatementArguments(arguments))
        }
        var bodies: [Int64: String] = [:]
        for row in rows { bodies[row["rowid"]] = row["body"] }
        return rowids.compactMap { bodies[$0].flatMap(Self.decodeEntry) }
    }

    private func addFilters(
        _ query: DirectoryQuery, to conditions: inout [String], _ arguments: inout [any DatabaseValueConvertible]
    ) throws(SedgateError) {
        if let kind = query.kind {
            conditions.append("e.kind = ?")
            arguments.append(kind.rawValue)
        }
        if let country = query.country {
            conditions.append("e.country = ?")
            arguments.append(country)
        }
        for (field, code) in query.attributes.sorted(by: { $0.key < $1.key }) {
            guard schema.fields[field] != nil, field.allSatisfy({ $0.isLetter || $0 == "-" }) else {
                throw SedgateError(.unsupportedInput, "'\(field)' is not a field of the directory schema")
            }
            conditions.append("EXISTS (SELECT 1 FROM json_each(e.body, '$.fields.\"\(field)\"') WHERE value = ?)")
            arguments.append(code)
        }
    }

    /// Every match ranked: EHIC issuers first, then by relevance (or by id without words).
    func searchAll(_ query: DirectoryQuery) throws(SedgateError) -> [DirectoryEntry] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        var from = "directory_entry e"
        var order = "e.ehic DESC, e.id"
        if let match = matchExpression(query.text) {
            from = "directory_search s JOIN directory_entry e ON e.rowid = s.rowid"
            conditions.append("directory_search MATCH ?")
            arguments.append(match)
            order = "e.ehic DESC, s.rank"
        }
        try addFilters(query, to: &conditions, &arguments)
        let sql =
            "SELECT e.body FROM \(from)" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY \(order) LIMIT ?"
        arguments.append(max(1, min(query.limit, 1_000)))
        let bodies = try read { db in try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) }
        return bodies.compactMap(Self.decodeEntry)
    }
}
