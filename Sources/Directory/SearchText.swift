// SearchText: folds text for the directory's search index and queries alike: any script to Latin by the official
// tables (ConversionFunctions' tr:to-latin1: Greek ELOT 743, Bulgarian), then case and accents away; and the
// synonym groups of conversions/directory/synonyms.tsv, folded the same way.

import ConversionFunctions
import Foundation
public import SedgateCore

/// The text folding and synonyms of directory search.
public struct SearchText: Sendable {
    private let library: FunctionLibrary?
    /// Folded word → the folded words of its synonym group (itself included).
    private let synonyms: [String: [String]]

    /// Loads the transliteration tables and synonyms of the conversions folder `conversions`.
    public init(conversions: String) throws(SedgateError) {
        library = try FunctionLibrary(directory: conversions)
        var groups: [String: [String]] = [:]
        let path = conversions + "/directory/synonyms.tsv"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
                let base = SearchText.plain(library: library)
                let words = line.split(separator: "\t").map { base(String($0)) }.filter { !$0.isEmpty }
                for word in words { groups[word] = Array(Set((groups[word] ?? []) + words)).sorted() }
            }
        }
        synonyms = groups
    }

    /// No transliteration and no synonyms (tests of other parts).
    public init() {
        library = nil
        synonyms = [:]
    }

    /// The Latin (ISO-8859-1) form of `text`: how a Greek or Cyrillic name is shown to a reader of Latin script.
    public func latin(_ text: String) -> String {
        guard let library, !text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) else { return text }
        return (try? library.call("tr:to-latin1", [text, "auto", "lenient"])) ?? text
    }

    /// `text` folded for the index: Latin, lower case, no accents, words separated by single spaces.
    public func fold(_ text: String) -> String {
        Self.plain(library: library)(text)
    }

    /// The synonym group of a folded word (the word alone when it has none).
    public func synonyms(of word: String) -> [String] {
        synonyms[word] ?? [word]
    }

    private static func plain(library: FunctionLibrary?) -> @Sendable (String) -> String {
        { text in
            var latin = text
            if let library, !text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) {
                latin = (try? library.call("tr:to-latin1", [text, "auto", "lenient"])) ?? text
            }
            let folded = latin.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            var out = String.UnicodeScalarView()
            var space = true
            for scalar in folded.unicodeScalars {
                if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                    out.append(scalar)
                    space = false
                } else if !space {
                    out.append(" ")
                    space = true
                }
            }
            var result = String(out)
            if result.hasSuffix(" ") { result.removeLast() }
            return result
        }
    }
}
