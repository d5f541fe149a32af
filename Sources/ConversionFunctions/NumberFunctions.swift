// NumberFunctions: `num:` exact decimal parse, format, arithmetic, rounding, comparison and sums (never Double).

import SedgateCore

/// The `num:` group. Values are decimal strings (`-1234.50`); surrounding spaces are ignored. Rounding modes:
/// `half-up`, `half-even`, `down`, `exact` (an error if digits would be lost).
enum NumberFunctions {
    static let all: [FunctionSpec] = [
        FunctionSpec("num:parse", ["s", "pic?", "sign?"]) { call throws(SedgateError) in
            guard call.has(1) else { return try decimal(call, 0).description }
            let picture = try NumberFunctions.picture(call, 1)
            let sign = try NumberFunctions.sign(call, 2)
            guard let value = picture.read(call[0], sign: sign) else {
                throw call.bad(
                    0,
                    expected:
                        "\(picture.width(sign: sign)) characters of digits for PIC \(call[1]) (sign \(sign.rawValue))")
            }
            return value.description
        },
        FunctionSpec("num:format", ["d", "pic-or-scale", "sign?", "mode?"]) { call throws(SedgateError) in
            let value = try decimal(call, 0)
            let mode = try rounding(call, 3, fallback: .exact)
            if let scale = Int(call[1]) {
                return try wrap(call) { () throws(SedgateError) in try value.rescaled(to: scale, rounding: mode) }
                    .description
            }
            let picture = try NumberFunctions.picture(call, 1)
            let sign = try NumberFunctions.sign(call, 2)
            let scaled = try wrap(call) { () throws(SedgateError) in
                try value.rescaled(to: picture.fractionDigits, rounding: mode)
            }
            guard let text = picture.write(scaled, sign: sign) else {
                throw call.failure(
                    "\(value) does not fit PIC \(call[1])"
                        + (value.signum < 0 && !picture.signed ? " (the picture has no sign)" : "")
                        + "; widen the field or check the amount")
            }
            return text
        },
        FunctionSpec("num:add", ["a", "b"]) { call throws(SedgateError) in
            let (a, b) = (try decimal(call, 0), try decimal(call, 1))
            return try wrap(call) { () throws(SedgateError) in try a + b }.description
        },
        FunctionSpec("num:sub", ["a", "b"]) { call throws(SedgateError) in
            let (a, b) = (try decimal(call, 0), try decimal(call, 1))
            return try wrap(call) { () throws(SedgateError) in try a - b }.description
        },
        FunctionSpec("num:mul", ["a", "b", "scale?", "mode?"]) { call throws(SedgateError) in
            let (a, b) = (try decimal(call, 0), try decimal(call, 1))
            let product = try wrap(call) { () throws(SedgateError) in try a * b }
            guard call.has(2) else { return product.description }
            let scale = try NumberFunctions.scale(call, 2)
            let mode = try rounding(call, 3, fallback: .halfUp)
            return try wrap(call) { () throws(SedgateError) in try product.rescaled(to: scale, rounding: mode) }
                .description
        },
        FunctionSpec("num:div", ["a", "b", "scale", "mode?"]) { call throws(SedgateError) in
            let (a, b) = (try decimal(call, 0), try decimal(call, 1))
            guard !b.isZero else { throw call.bad(1, expected: "a divisor other than zero") }
            let scale = try NumberFunctions.scale(call, 2)
            let mode = try rounding(call, 3, fallback: .exact)
            return try wrap(call) { () throws(SedgateError) in try a.divided(by: b, scale: scale, rounding: mode) }
                .description
        },
        FunctionSpec("num:round", ["a", "scale", "mode?"]) { call throws(SedgateError) in
            let value = try decimal(call, 0)
            let scale = try NumberFunctions.scale(call, 1)
            let mode = try rounding(call, 2, fallback: .halfUp)
            return try wrap(call) { () throws(SedgateError) in try value.rescaled(to: scale, rounding: mode) }
                .description
        },
        FunctionSpec("num:cmp", ["a", "b"]) { call throws(SedgateError) in
            let (a, b) = (try decimal(call, 0), try decimal(call, 1))
            return a < b ? "-1" : (a == b ? "0" : "1")
        },
        FunctionSpec("num:sum", ["value..."]) { call throws(SedgateError) in
            var total = ExactDecimal.zero
            for value in try values(call) {
                total = try wrap(call) { () throws(SedgateError) in try total + value }
            }
            return total.description
        },
        FunctionSpec("num:min", ["value..."]) { call throws(SedgateError) in
            try values(call).min()?.description ?? ""
        },
        FunctionSpec("num:max", ["value..."]) { call throws(SedgateError) in
            try values(call).max()?.description ?? ""
        },
        FunctionSpec("num:valid", ["s"]) { call in
            BooleanText.of(ExactDecimal(call[0].trimmingSpaces) != nil)
        },
    ]

    /// Argument `index` as an exact decimal.
    static func decimal(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> ExactDecimal {
        guard let value = ExactDecimal(call[index].trimmingSpaces) else {
            throw call.bad(index, expected: "a decimal number such as -1234.50 (at most 38 digits)")
        }
        return value
    }

    /// Every value in the arguments, each argument split on `|`; empty items (absent amounts) are skipped.
    private static func values(_ call: FunctionCall) throws(SedgateError) -> [ExactDecimal] {
        var values: [ExactDecimal] = []
        for (index, argument) in call.arguments.enumerated() {
            for item in argument.split(separator: "|", omittingEmptySubsequences: false) {
                let text = String(item).trimmingSpaces
                if text.isEmpty { continue }
                guard let value = ExactDecimal(text) else {
                    throw call.failure(
                        "item '\(text)' of argument \(index + 1) is not a decimal number such as -1234.50; "
                            + "correct the input")
                }
                values.append(value)
            }
        }
        return values
    }

    private static func scale(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> Int {
        guard let scale = Int(call[index].trimmingSpaces), (0...ExactDecimal.maximumScale).contains(scale) else {
            throw call.badOption(index, expected: "a scale from 0 to 38")
        }
        return scale
    }

    private static func rounding(
        _ call: FunctionCall, _ index: Int, fallback: ExactDecimal.Rounding
    )
        throws(SedgateError) -> ExactDecimal.Rounding
    {
        guard call.has(index) else { return fallback }
        switch call[index] {
        case "half-up": return .halfUp
        case "half-even": return .halfEven
        case "down": return .down
        case "exact": return .exact
        default: throw call.badOption(index, expected: "'half-up', 'half-even', 'down' or 'exact'")
        }
    }

    private static func picture(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> DecimalPicture {
        guard let picture = DecimalPicture(call[index]) else {
            throw call.badOption(index, expected: "a numeric picture such as S9(9)V99, or a scale")
        }
        return picture
    }

    private static func sign(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> DecimalPicture.Sign {
        guard let sign = DecimalPicture.Sign(rawValue: call.optional(index, "trailing")) else {
            throw call.badOption(
                index, expected: "'trailing', 'leading', 'leading-separate' or 'trailing-separate'")
        }
        return sign
    }

    /// Runs decimal arithmetic, restating its error (overflow, inexact) as this function's data error.
    private static func wrap(
        _ call: FunctionCall, _ body: () throws(SedgateError) -> ExactDecimal
    )
        throws(SedgateError) -> ExactDecimal
    {
        do {
            return try body()
        } catch {
            throw call.failure(error.message + " (arguments: \(call.arguments.joined(separator: ", ")))")
        }
    }
}

extension String {
    /// Without leading and trailing ASCII spaces, tabs and newlines.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\n" || first == "\r" {
            scalars = scalars.dropFirst()
        }
        while let last = scalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
            scalars = scalars.dropLast()
        }
        return String(scalars)
    }
}
