// SiteCatalogue: the public site's interface text in each language and its clean-URL words, read from the message
// catalogues of conversions/site/ (`<language>.properties`, `slugs.properties`): a new language is a file, no
// rebuild. English is the fallback of every key; code and field labels come from the directory schema first.
//
// Reads: `<folder>/*.properties`, UTF-8, one `key = value` a line, `#` comments. Fails naming the file and line of a
// line that is not `key = value`, and when en.properties is missing.

import Foundation
public import SedgateCore

/// The site's messages per language, and the URL word of each sector.
public struct SiteCatalogue: Sendable {
    /// The languages with a catalogue, English first, then by code.
    public let languages: [String]
    /// Language → key → text.
    private let messages: [String: [String: String]]
    /// Sector code → URL word, and back.
    private let slugs: [String: String]
    private let sectorsBySlug: [String: String]

    /// Reads every `<language>.properties` (a two- or three-letter code) and `slugs.properties` of `folder`.
    public init(folder: String) throws(SedgateError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw SedgateError(
                .configuration,
                "the public site's message catalogues cannot be read from \(folder) (conversions/site/): \(error)")
        }
        var messages: [String: [String: String]] = [:]
        for name in names where name.hasSuffix(".properties") {
            let stem = String(name.dropLast(".properties".count))
            guard stem != "slugs" else { continue }
            guard (2...3).contains(stem.count), stem.allSatisfy({ $0.isASCII && $0.isLowercase }) else {
                throw SedgateError(
                    .configuration,
                    "\(folder)/\(name): a catalogue is named after its language's ISO 639-1 code (en.properties)")
            }
            messages[stem] = try Self.read(folder + "/" + name)
        }
        guard messages["en"] != nil else {
            throw SedgateError(
                .configuration, "\(folder)/en.properties is missing: English is every other catalogue's fallback")
        }
        let slugFile = folder + "/slugs.properties"
        var slugs: [String: String] = [:]
        if FileManager.default.fileExists(atPath: slugFile) {
            for (key, value) in try Self.read(slugFile) where key.hasPrefix("sector.") {
                slugs[String(key.dropFirst("sector.".count))] = value
            }
        }
        self.messages = messages
        self.slugs = slugs
        sectorsBySlug = Dictionary(slugs.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        languages = ["en"] + messages.keys.filter { $0 != "en" }.sorted()
    }

    /// One `key = value` file.
    static func read(_ path: String) throws(SedgateError) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SedgateError(.configuration, "\(path) cannot be read as UTF-8 text")
        }
        var pairs: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                throw SedgateError(
                    .configuration, "\(path):\(number + 1): '\(line.prefix(60))' is not `key = value`",
                    location: .init(file: path, line: number + 1))
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            pairs[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return pairs
    }

    /// The keys of `language`'s catalogue (to check a translation is complete).
    public func keys(_ language: String) -> Set<String> {
        Set(messages[language]?.keys.map { $0 } ?? [])
    }

    /// The text of `key` in `language` (else English, else the key), `{0}`, `{1}`… replaced by `arguments`.
    public func text(_ key: String, _ language: String, _ arguments: String...) -> String {
        var text = messages[language]?[key] ?? messages["en"]?[key] ?? key
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index)}", with: argument)
        }
        return text
    }

    /// The text of `key` in `language` only, if that catalogue has it.
    public func own(_ key: String, _ language: String) -> String? {
        messages[language]?[key]
    }

    /// The URL word of a sector (`S` → `sickness`).
    public func slug(sector: String) -> String {
        slugs[sector] ?? sector.lowercased()
    }

    /// The sector of a URL word (`sickness` → `S`).
    public func sector(slug: String) -> String? {
        sectorsBySlug[slug] ?? (slugs[slug.uppercased()] == nil ? slug.uppercased() : nil)
    }
}
