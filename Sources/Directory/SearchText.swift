// SearchText: folds text for the directory's search index and queries alike: any script to Latin by the official
// tables (ConversionFunctions' tr:to-latin1: Greek ELOT 743, Bulgarian), then case and accents away; and the
// synonym groups of conversions/directory/synonyms.tsv, folded the same way.

import ConversionFunctions
import Foundation
public import SedgateCore
import Synchronization

/// The text folding and synonyms of directory search.
public struct SearchText: Sendable {
    private let library: FunctionLibrary?
    /// Folded word → the folded words of its synonym group (itself included).
    private let synonyms: [String: [String]]
    /// Words already folded.
    private let cache = FoldCache()

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
    ///
    /// Word by word: plain ASCII directly, anything else through the tables once per distinct word (names share
    /// most of their words, and transliteration is the costly step of indexing).
    public func fold(_ text: String) -> String {
        var out: [String] = []
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let folded: String
            if word.utf8.allSatisfy({ $0 < 0x80 }) {
                folded = Self.asciiFold(word)
            } else if let known = cache.words.withLock({ $0[word] }) {
                folded = known
            } else {
                folded = Self.plain(library: library)(String(word))
                cache.words.withLock { words in
                    if words.count > 200_000 { words.removeAll() }
                    words[word] = folded
                }
            }
            if !folded.isEmpty { out.append(folded) }
        }
        return out.joined(separator: " ")
    }

    /// Lower case, letters and digits, anything else a word break.
    private static func asciiFold(_ word: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.utf8.count)
        var space = true
        for byte in word.utf8 {
            switch byte {
            case 0x30...0x39, 0x61...0x7A:
                bytes.append(byte)
                space = false
            case 0x41...0x5A:
                bytes.append(byte + 0x20)
                space = false
            default:
                if !space {
                    bytes.append(0x20)
                    space = true
                }
            }
        }
        if bytes.last == 0x20 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
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

/// Words already folded, shared by copies of a SearchText.
final class FoldCache: Sendable {
    let words = Mutex<[Substring: String]>([:])
}
