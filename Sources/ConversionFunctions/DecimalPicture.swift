// DecimalPicture: a COBOL-like numeric PIC (`S9(9)V99`, `9(5).99`) and sign style, reading and writing digits.

import SedgateCore

/// A numeric picture: integer digits, fraction digits, whether signed, whether the point is written.
///
/// Signs: `trailing` (overpunched on the last digit, COBOL's default: `{`/`A`–`I` positive, `}`/`J`–`R`
/// negative), `leading` (overpunched on the first), `leading-separate` / `trailing-separate` (`+`/`-`).
struct DecimalPicture: Sendable {
    enum Sign: String, Sendable {
        case trailing, leading
        case leadingSeparate = "leading-separate"
        case trailingSeparate = "trailing-separate"
    }

    let integerDigits: Int
    let fractionDigits: Int
    let signed: Bool
    let explicitPoint: Bool

    /// Parses `S9(9)V99`, `999V9`, `9(5).99`; nil for anything else.
    init?(_ text: String) {
        var characters = Array(text.uppercased())[...]
        var signed = false
        if characters.first == "S" {
            signed = true
            characters = characters.dropFirst()
        }
        var integer = 0
        var fraction = 0
        var inFraction = false
        var point = false
        while let character = characters.first {
            characters = characters.dropFirst()
            switch character {
            case "9":
                var count = 1
                if characters.first == "(" {
                    guard let close = characters.firstIndex(of: ")"),
                        let n = Int(String(characters[characters.startIndex + 1..<close])),
                        n > 0
                    else { return nil }
                    count = n
                    characters = characters[(close + 1)...]
                }
                if inFraction { fraction += count } else { integer += count }
            case "V", ".":
                guard !inFraction else { return nil }
                inFraction = true
                point = character == "."
            default: return nil
            }
        }
        guard integer + fraction > 0, integer + fraction <= ExactDecimal.maximumDigits else { return nil }
        self.integerDigits = integer
        self.fractionDigits = fraction
        self.signed = signed
        self.explicitPoint = point
    }

    /// The characters a field of this picture occupies.
    func width(sign: Sign) -> Int {
        integerDigits + fractionDigits + (explicitPoint ? 1 : 0)
            + (signed && (sign == .leadingSeparate || sign == .trailingSeparate) ? 1 : 0)
    }

    /// The value of `text`, or nil when it does not fit the picture.
    func read(_ text: String, sign: Sign) -> ExactDecimal? {
        var characters = Array(text)
        guard characters.count == width(sign: sign) else { return nil }
        var negative = false
        if signed {
            switch sign {
            case .leadingSeparate:
                guard let first = characters.first, first == "+" || first == "-" else { return nil }
                negative = first == "-"
                characters.removeFirst()
            case .trailingSeparate:
                guard let last = characters.last, last == "+" || last == "-" else { return nil }
                negative = last == "-"
                characters.removeLast()
            case .trailing, .leading:
                let position = sign == .trailing ? characters.count - 1 : 0
                guard let (digit, isNegative) = Self.unpunch(characters[position]) else { return nil }
                characters[position] = digit
                negative = isNegative
            }
        }
        var digits = ""
        for (offset, character) in characters.enumerated() {
            if explicitPoint && offset == integerDigits {
                guard character == "." else { return nil }
                continue
            }
            guard character.isASCII, character.isNumber else { return nil }
            digits.append(character)
        }
        let split = digits.index(digits.startIndex, offsetBy: integerDigits)
        let literal = (negative ? "-" : "") + digits[..<split] + (fractionDigits > 0 ? "." + digits[split...] : "")
        return ExactDecimal(String(literal))
    }

    /// `value` in this picture, or nil when it needs more digits than the picture holds or is negative and
    /// the picture unsigned. `value` must already have `fractionDigits` decimals.
    func write(_ value: ExactDecimal, sign: Sign) -> String? {
        guard value.scale == fractionDigits, signed || value.signum >= 0 else { return nil }
        var digits = String(value.units.magnitude)
        guard digits.count <= integerDigits + fractionDigits else { return nil }
        digits = String(repeating: "0", count: integerDigits + fractionDigits - digits.count) + digits
        if explicitPoint {
            digits.insert(".", at: digits.index(digits.startIndex, offsetBy: integerDigits))
        }
        guard signed else { return digits }
        let negative = value.signum < 0
        switch sign {
        case .leadingSeparate: return (negative ? "-" : "+") + digits
        case .trailingSeparate: return digits + (negative ? "-" : "+")
        case .trailing, .leading:
            var characters = Array(digits)
            let position = sign == .trailing ? characters.count - 1 : 0
            characters[position] = Self.punch(characters[position], negative: negative)
            return String(characters)
        }
    }

    private static let positive = Array("{ABCDEFGHI")
    private static let negative = Array("}JKLMNOPQR")

    private static func punch(_ digit: Character, negative isNegative: Bool) -> Character {
        let value = digit.wholeNumberValue ?? 0
        return isNegative ? negative[value] : positive[value]
    }

    /// The digit and sign an overpunched character stands for; a plain digit is positive.
    private static func unpunch(_ character: Character) -> (Character, Bool)? {
        if character.isASCII, let value = character.wholeNumberValue { return (Character(String(value)), false) }
        if let value = positive.firstIndex(of: character) { return (Character(String(value)), false) }
        if let value = negative.firstIndex(of: character) { return (Character(String(value)), true) }
        return nil
    }
}
