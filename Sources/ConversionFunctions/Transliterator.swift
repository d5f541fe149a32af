// Transliterator: applies rule tables to a string and folds the result to ISO-8859-1 (Latin-1).

import Foundation
import SedgateCore

/// Turns text in any script into Latin-1 by the official table of each script, then a fallback fold.
///
/// Steps: NFC; each scalar goes to the declared language's table if it covers the scalar, else to the
/// script's default table, else (if not already Latin-1) to the fallback table; letters a table does not
/// know lose their diacritics (ἀ → α, Č → C) and are tried again; whatever is still outside Latin-1 is
/// unmappable. Case follows the source: `Χα` → `Cha`, `ΧΑ` → `CHA`.
struct Transliterator: Sendable {
    /// The outcome: the Latin-1 text (unmappable scalars replaced by `?`) and what could not be mapped.
    struct Result: Sendable {
        var text: String
        var unmappable: [Unicode.Scalar]
    }

    /// The preferred table (a declared language), if any.
    let preferred: TransliterationTable?
    /// All tables, for script defaults and the fallback.
    let tables: [TransliterationTable]

    /// Transliterates `input`.
    func apply(_ input: String) -> Result {
        let source = Array(input.precomposedStringWithCanonicalMapping.unicodeScalars)
        var lower: [Unicode.Scalar] = []
        var upper: [Bool] = []
        lower.reserveCapacity(source.count)
        for scalar in source {
            let folded = Self.lowercase(scalar)
            lower.append(folded)
            upper.append(folded != scalar)
        }
        var output = String.UnicodeScalarView()
        var unmappable: [Unicode.Scalar] = []
        var index = 0
        while index < lower.count {
            let scalar = lower[index]
            guard let table = table(for: scalar) else {
                // Latin-1 already (or no table anywhere): keep it as written.
                if source[index].value <= 0xFF {
                    output.append(source[index])
                } else if let base = Self.baseLetter(source[index]), base.value <= 0xFF {
                    output.append(base)
                } else {
                    output.append("?")
                    unmappable.append(source[index])
                }
                index += 1
                continue
            }
            if let (rule, length) = match(table, at: index, lower: lower) {
                output.append(
                    contentsOf: Self.cased(rule.to, upper: upper, range: index..<index + length, lower: lower)
                        .unicodeScalars)
                index += length
                continue
            }
            // No rule: try the letter without its diacritics through the same tables (polytonic Greek, Č).
            if let base = Self.baseLetter(source[index]), base != source[index] {
                let inner = apply(String(base))
                output.append(contentsOf: inner.text.unicodeScalars)
                if !inner.unmappable.isEmpty { unmappable.append(source[index]) }
            } else if source[index].value <= 0xFF {
                output.append(source[index])
            } else {
                output.append("?")
                unmappable.append(source[index])
            }
            index += 1
        }
        return Result(text: String(output), unmappable: unmappable)
    }

    /// The table responsible for `scalar`: the declared one, the script's default, or the fallback.
    private func table(for scalar: Unicode.Scalar) -> TransliterationTable? {
        if let preferred, preferred.covers(scalar) { return preferred }
        if let table = tables.first(where: { $0.isDefaultForScript && $0.covers(scalar) }) { return table }
        if scalar.value > 0xFF { return tables.first(where: \.isFallback) }
        return nil
    }

    /// The first rule (longest first) whose letters and conditions match at `index`.
    private func match(
        _ table: TransliterationTable, at index: Int, lower: [Unicode.Scalar]
    ) -> (
        TransliterationTable.Rule, Int
    )? {
        guard let candidates = table.rules[lower[index]] else { return nil }
        for rule in candidates {
            let end = index + rule.from.count
            guard end <= lower.count, Array(lower[index..<end]) == rule.from else { continue }
            if rule.conditions.allSatisfy({ Self.holds($0, before: index, after: end, lower: lower) }) {
                return (rule, rule.from.count)
            }
        }
        return nil
    }

    private static func holds(
        _ condition: TransliterationTable.Condition, before start: Int, after end: Int, lower: [Unicode.Scalar]
    ) -> Bool {
        let previous = start > 0 ? lower[start - 1] : nil
        let next = end < lower.count ? lower[end] : nil
        switch condition {
        case .wordStart: return !isLetter(previous)
        case .wordEnd: return !isLetter(next)
        case .notWordStart: return isLetter(previous)
        case .notWordEnd: return isLetter(next)
        case .before(let set): return next.map(set.contains) ?? false
        case .notBefore(let set): return !(next.map(set.contains) ?? false)
        case .after(let set): return previous.map(set.contains) ?? false
        }
    }

    private static func isLetter(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        return scalar.properties.isAlphabetic || scalar.properties.generalCategory == .nonspacingMark
    }

    /// Applies the source's case to a rule's output: all capitals when the source run is in capitals, else a
    /// capital first letter when the source starts with one.
    private static func cased(_ text: String, upper: [Bool], range: Range<Int>, lower: [Unicode.Scalar]) -> String {
        guard upper[range.lowerBound] else { return text }
        var allCaps = upper[range].allSatisfy { $0 }
        if allCaps && range.count == 1 {
            // A lone capital (Χ, Ψ, Щ) is in an all-capitals word only if a neighbouring letter is a capital too.
            if range.upperBound < lower.count, isLetter(lower[range.upperBound]) {
                allCaps = upper[range.upperBound]
            } else if range.lowerBound > 0, isLetter(lower[range.lowerBound - 1]) {
                allCaps = upper[range.lowerBound - 1]
            } else {
                allCaps = false
            }
        }
        if allCaps { return latin1Uppercased(text) }
        guard let first = text.first else { return text }
        return latin1Uppercased(String(first)) + text.dropFirst()
    }

    /// Upper case that stays in Latin-1: `ÿ` has its capital `Ÿ` outside it, so it becomes `Y`.
    private static func latin1Uppercased(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        for scalar in text.uppercased().unicodeScalars {
            output.append(scalar.value > 0xFF ? baseLetter(scalar) ?? scalar : scalar)
        }
        return String(output)
    }

    /// The lower-case form of one scalar when it is a single scalar, else the scalar itself.
    static func lowercase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let mapped = scalar.properties.lowercaseMapping.unicodeScalars
        return mapped.count == 1 ? mapped.first! : scalar
    }

    /// The scalar without combining marks (NFD's first scalar), or nil when it does not decompose.
    static func baseLetter(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        let decomposed = String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
        guard decomposed.count > 1, let first = decomposed.first else { return nil }
        return first
    }
}
