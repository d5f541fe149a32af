// DirectorySearchAPI: the read-only JSON search of the directory, the same code on the CN's protocol server, on
// `sedgate directory serve` (the CN's master or the public copy) and in tests. Codes are shown in the reader's
// language (`lang=`), names with their Latin form; the public copy has no operational fields to show.

import Foundation
public import Transport

/// Answers `GET …/directory/search?q=&country=&kind=&function=&sector=&benefit=&lang=&limit=`.
public struct DirectorySearchAPI: Sendable {
    public let store: DirectoryStore
    /// Leave out operational fields (AP URLs, certificates) even if the database has them.
    public let `public`: Bool

    /// Makes the API over `store`.
    public init(store: DirectoryStore, public: Bool) {
        self.store = store
        self.public = `public`
    }

    /// One result as JSON sees it.
    struct Result: Encodable {
        var id: String
        var kind: String
        var name: String
        var latin: String
        var fields: [String: [String]]
        var labels: [String: [String]]
        var ehicIssuer: Bool
    }

    public func answer(query: [String: String]) -> ExtensionReply {
        let language = query["lang"] ?? "en"
        var attributes: [String: String] = [:]
        for field in ["function", "sector", "benefit"] { if let code = query[field] { attributes[field] = code } }
        let request = DirectoryQuery(
            text: query["q"] ?? "", kind: query["kind"].flatMap(EntryKind.init), country: query["country"],
            attributes: attributes, limit: Int(query["limit"] ?? "") ?? 20)
        do {
            let entries = try store.search(request)
            let results = entries.map { describe($0, language: language) }
            return ExtensionReply(status: 200, body: Array(try JSONEncoder.directory.encode(results)))
        } catch {
            let message = "\(error)"
            let body = (try? JSONEncoder.directory.encode(["error": message])) ?? Data()
            return ExtensionReply(status: 400, body: Array(body))
        }
    }

    /// The entry's name in `language`, else its first name, else its id.
    public func name(of entry: DirectoryEntry, language: String) -> String {
        entry.value("name.\(language)")
            ?? entry.fields.sorted { $0.key < $1.key }.first { $0.key.hasPrefix("name.") }?.value.first ?? entry.id
    }

    func describe(_ entry: DirectoryEntry, language: String) -> Result {
        let schema = store.schema
        var fields = entry.fields
        if `public` { fields = fields.filter { !schema.isOperational($0.key) } }
        let name = name(of: entry, language: language)
        var labels: [String: [String]] = [:]
        for (key, values) in fields {
            guard let field = schema.fields[DirectorySchema.base(key)], field.type == "code", let list = field.codes
            else {
                continue
            }
            labels[schema.label(field: key, language: language)] = values.map {
                schema.label(code: $0, list: list, language: language)
            }
        }
        return Result(
            id: entry.id, kind: entry.kind.rawValue, name: name, latin: store.text.latin(name), fields: fields,
            labels: labels, ehicIssuer: entry.isEHICIssuer)
    }
}
