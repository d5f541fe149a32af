// Picture: COBOL PIC strings (X(25), 9(8), S9(9)V99) and the storage they describe.

/// How a numeric field is stored: as characters (zoned, `USAGE DISPLAY`) or packed BCD (`COMP-3`).
enum Usage: String, Sendable {
    case display
    case packed
}

/// Where a signed display number keeps its sign: overpunched into the last or first digit, or as a
/// separate `+`/`-` character after or before the digits.
enum SignStyle: String, Sendable {
    case trailing
    case leading
    case trailingSeparate = "trailing-separate"
    case leadingSeparate = "leading-separate"

    var isSeparate: Bool { self == .trailingSeparate || self == .leadingSeparate }
}

/// A parsed PIC clause: text of `length` characters, or a number of `integerDigits + scale` digits.
struct Picture: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case text(length: Int)
        case number(integerDigits: Int, scale: Int, signed: Bool)
    }

    let kind: Kind
    /// The PIC as written in the mapping, for messages and the layout table.
    let text: String

    var description: String { text }

    /// Total digits of a number (integer and fraction), 0 for text.
    var digits: Int {
        if case .number(let integer, let scale, _) = kind { return integer + scale }
        return 0
    }

    /// Parses `X(n)`, `XXX`, `9(n)`, `S9(n)V99`, `9(3)V9(2)`, `SV99`; nil for anything else.
    init?(_ text: String) {
        self.text = text
        var symbols: [Character] = []
        var chars = Array(text.uppercased())
        var index = 0
        while index < chars.count {
            let symbol = chars[index]
            guard "XS9V".contains(symbol) else { return nil }
            index += 1
            var count = 1
            if index < chars.count && chars[index] == "(" {
                guard let close = chars[index...].firstIndex(of: ")"),
                    let repeatCount = Int(String(chars[(index + 1)..<close])), repeatCount > 0, repeatCount <= 9999
                else { return nil }
                count = repeatCount
                index = close + 1
            }
            symbols += Array(repeating: symbol, count: count)
        }
        chars = symbols
        if chars.allSatisfy({ $0 == "X" }) {
            guard !chars.isEmpty else { return nil }
            kind = .text(length: chars.count)
            return
        }
        var signed = false
        var rest = chars[...]
        if rest.first == "S" {
            signed = true
            rest = rest.dropFirst()
        }
        let integer = rest.prefix { $0 == "9" }.count
        rest = rest.dropFirst(integer)
        var scale = 0
        if rest.first == "V" {
            rest = rest.dropFirst()
            scale = rest.prefix { $0 == "9" }.count
            rest = rest.dropFirst(scale)
        }
        guard rest.isEmpty, integer + scale > 0, integer + scale <= 38 else { return nil }
        kind = .number(integerDigits: integer, scale: scale, signed: signed)
    }

    /// The bytes the field takes in a record.
    func byteLength(usage: Usage, sign: SignStyle) -> Int {
        switch kind {
        case .text(let length):
            return length
        case .number(let integer, let scale, let signed):
            let digits = integer + scale
            if usage == .packed { return digits / 2 + 1 }
            return digits + (signed && sign.isSeparate ? 1 : 0)
        }
    }
}
