// DirectoryFixture: a fresh directory database over the repository's conversions/ (schema, synonyms,
// transliteration tables), and entries to fill it with.

import Directory
import Foundation
import SedgateCore
import SedgateTesting

/// A temporary directory store.
struct DirectoryFixture {
    let folder: TemporaryDirectory
    let store: DirectoryStore

    static let conversions: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/conversions"
    }()

    init() throws {
        folder = try TemporaryDirectory()
        store = try DirectoryStore(
            path: folder.path + "/directory.sqlite",
            schema: try DirectorySchema.load(Self.conversions + "/directory/schema.json"),
            text: try SearchText(conversions: Self.conversions))
    }

    static func accessPoint(_ id: String, countries: [String]) -> DirectoryEntry {
        DirectoryEntry(
            kind: .accessPoint, id: id,
            fields: ["url": ["https://127.0.0.1:1"], "mode": ["push"], "country": countries])
    }

    static func institution(
        _ address: String, ap: String, names: [String: String], function: [String] = ["CI"], sector: [String] = ["S"],
        extra: [String: [String]] = [:]
    ) -> DirectoryEntry {
        var fields: [String: [String]] = ["ap": [ap], "city.en": ["Somewhere"], "function": function, "sector": sector]
        for (language, name) in names { fields["name.\(language)"] = [name] }
        fields.merge(extra) { $1 }
        return DirectoryEntry(kind: .institution, id: address, fields: fields)
    }
}
