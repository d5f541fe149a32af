// TextFunctions: `str:` padding, fitting to a width, trimming, case and Unicode normalisation.

import Foundation
import SedgateCore

/// The `str:` group. Widths count Unicode scalars of the NFC form (one byte each in Latin-1 and EBCDIC).
enum TextFunctions {
    static let all: [FunctionSpec] = [
        FunctionSpec("str:pad-left", ["s", "width", "char?"]) { call throws(SedgateError) in
            try pad(call, left: true)
        },
        FunctionSpec("str:pad-right", ["s", "width", "char?"]) { call throws(SedgateError) in
            try pad(call, left: false)
        },
        FunctionSpec("str:fit", ["s", "width", "policy?"]) { call throws(SedgateError) in
            let text = nfc(call[0])
            let width = try TextFunctions.width(call, 1)
            let scalars = text.unicodeScalars
            guard scalars.count > width else { return text }
            switch call.optional(2, "error") {
            case "truncate": return String(String.UnicodeScalarView(scalars.prefix(width)))
            case "error":
                throw call.failure(
                    "'\(text)' is \(scalars.count) characters, more than the field's \(width); shorten the value "
                        + "at its source or allow truncation with policy 'truncate'")
            default: throw call.badOption(2, expected: "'error' or 'truncate'")
            }
        },
        FunctionSpec("str:trim", ["s"]) { call in call[0].trimmingCharacters(in: .whitespacesAndNewlines) },
        FunctionSpec("str:ltrim", ["s"]) { call in
            String(call[0].drop(while: { $0.isWhitespace }))
        },
        FunctionSpec("str:rtrim", ["s"]) { call in
            String(call[0].reversed().drop(while: { $0.isWhitespace }).reversed())
        },
        FunctionSpec("str:upper", ["s"]) { call in call[0].uppercased() },
        FunctionSpec("str:lower", ["s"]) { call in call[0].lowercased() },
        FunctionSpec("str:nfc", ["s"]) { call in nfc(call[0]) },
        FunctionSpec("str:length", ["s"]) { call in String(nfc(call[0]).unicodeScalars.count) },
        FunctionSpec("str:join", ["separator", "item..."]) { call in
            call.arguments.dropFirst().joined(separator: call[0])
        },
    ]

    /// NFC form of `text`.
    static func nfc(_ text: String) -> String { text.precomposedStringWithCanonicalMapping }

    /// Pads to `width` scalars; a value already longer is an error (a fixed field must never overflow silently).
    private static func pad(_ call: FunctionCall, left: Bool) throws(SedgateError) -> String {
        let text = nfc(call[0])
        let width = try TextFunctions.width(call, 1)
        let fill = call.optional(2, " ")
        guard fill.unicodeScalars.count == 1 else { throw call.badOption(2, expected: "one padding character") }
        let length = text.unicodeScalars.count
        guard length <= width else {
            throw call.failure(
                "'\(text)' is \(length) characters, more than the width \(width); use str:fit to truncate")
        }
        let padding = String(repeating: fill, count: width - length)
        return left ? padding + text : text + padding
    }

    /// Argument `index` as a width (0 to 1 000 000).
    static func width(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> Int {
        guard let width = Int(call[index].trimmingCharacters(in: .whitespaces)), (0...1_000_000).contains(width) else {
            throw call.badOption(index, expected: "a whole number of characters")
        }
        return width
    }
}
