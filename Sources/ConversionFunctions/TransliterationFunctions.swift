// TransliterationFunctions: `tr:` to-latin1 by the official national tables, is-latin1, unmappable.

import SedgateCore

/// The `tr:` group. The language argument picks a table by id, alias or country code (`el`, `GR`, `EL`,
/// `bg`, `BG`); `auto` (the default) uses each script's default table. Mode `strict` (default) refuses text
/// that cannot be mapped; `lenient` writes `?` for it.
enum TransliterationFunctions {
    static let all: [FunctionSpec] = [
        FunctionSpec("tr:to-latin1", ["s", "lang?", "mode?"]) { call throws(SedgateError) in
            let result = try transliterator(call, 1).apply(call[0])
            switch call.optional(2, "strict") {
            case "lenient": return result.text
            case "strict":
                guard result.unmappable.isEmpty else {
                    throw call.failure(
                        "'\(call[0])' holds \(codePoints(result.unmappable)), which no table maps to Latin-1; add "
                            + "a rule to conversions/transliteration/ or use mode 'lenient' to write '?'")
                }
                return result.text
            default: throw call.badOption(2, expected: "'strict' or 'lenient'")
            }
        },
        FunctionSpec("tr:is-latin1", ["s"]) { call in
            BooleanText.of(call[0].unicodeScalars.allSatisfy { $0.value <= 0xFF })
        },
        FunctionSpec("tr:unmappable", ["s", "lang?"]) { call throws(SedgateError) in
            codePoints(try transliterator(call, 1).apply(call[0]).unmappable)
        },
        FunctionSpec("tr:scheme", ["s", "lang?"]) { call throws(SedgateError) in
            // For audit records: the names of the tables that took part.
            let engine = try transliterator(call, 1)
            var used: [String] = []
            for scalar in call[0].unicodeScalars where scalar.value > 0xFF {
                let lower = Transliterator.lowercase(scalar)
                let table =
                    (engine.preferred?.covers(lower) == true ? engine.preferred : nil)
                    ?? engine.tables.first { $0.isDefaultForScript && $0.covers(lower) }
                    ?? engine.tables.first(where: \.isFallback)
                if let name = table?.name, !used.contains(name) { used.append(name) }
            }
            return used.joined(separator: "; ")
        },
    ]

    /// `U+0141 U+20AC`.
    static func codePoints(_ scalars: [Unicode.Scalar]) -> String {
        scalars.map { scalar in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }.joined(separator: " ")
    }

    private static func transliterator(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> Transliterator {
        let tables = Array(call.library.transliterations.values).sorted { $0.id < $1.id }
        let language = call.optional(index, "auto").lowercased()
        if language == "auto" { return Transliterator(preferred: nil, tables: tables) }
        guard let table = tables.first(where: { $0.names.contains(language) }) else {
            let known = tables.flatMap(\.names).sorted()
            throw SedgateError(
                .configuration,
                "\(call.name): no transliteration table for language '\(call[index])' (known: "
                    + "\(known.joined(separator: ", "))); add one to \(call.library.directory)/transliteration/")
        }
        return Transliterator(preferred: table, tables: tables)
    }
}
