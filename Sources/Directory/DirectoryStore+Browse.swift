// DirectoryStore+Browse: what a browse tree of the institutions needs (the public site's country → sector →
// institutions): how many institutions each country has in each sector, in one grouped query.

import GRDB
public import SedgateCore

extension DirectoryStore {
    /// One branch of the browse tree: the institutions of `country` that serve `sector`.
    public struct BrowseCount: Sendable, Hashable {
        public var country: String
        public var sector: String
        public var institutions: Int
    }

    /// How many institutions each country has in each sector (an institution of several sectors counts in each),
    /// ordered by country and sector code.
    public func institutionCounts() throws(SedgateError) -> [BrowseCount] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.country AS country, s.value AS sector, COUNT(*) AS n
                    FROM directory_entry e, json_each(e.body, '$.fields.sector') s
                    WHERE e.kind = 'ci' AND e.country IS NOT NULL
                    GROUP BY e.country, s.value ORDER BY e.country, s.value
                    """
            ).map { row in BrowseCount(country: row["country"], sector: row["sector"], institutions: row["n"]) }
        }
    }

    /// How many institutions each country has, by country code.
    public func institutionsPerCountry() throws(SedgateError) -> [String: Int] {
        try read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT country, COUNT(*) AS n FROM directory_entry WHERE kind = 'ci' AND country IS NOT NULL "
                    + "GROUP BY country")
            {
                counts[row["country"]] = row["n"]
            }
            return counts
        }
    }
}
