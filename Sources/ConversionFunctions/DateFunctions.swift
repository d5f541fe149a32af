// DateFunctions: `dt:` parse, format, convert, validate, Julian dates, add and diff, on ISO `YYYY-MM-DD` strings.

import SedgateCore

/// The `dt:` group. ISO dates (`YYYY-MM-DD`) are the interchange form; an empty input gives an empty output
/// (an absent date stays absent) except in `dt:valid`, where it is not valid.
enum DateFunctions {
    static let all: [FunctionSpec] = [
        FunctionSpec("dt:parse", ["s", "pattern", "pivot?"]) { call throws(SedgateError) in
            if call[0].isEmpty { return "" }
            return try parse(call, 0, pattern: call[1], pivotIndex: 2).iso
        },
        FunctionSpec("dt:format", ["iso", "pattern"]) { call throws(SedgateError) in
            if call[0].isEmpty { return "" }
            return try pattern(call, 1).format(iso(call, 0))
        },
        FunctionSpec("dt:convert", ["s", "from", "to", "pivot?"]) { call throws(SedgateError) in
            if call[0].isEmpty { return "" }
            return try pattern(call, 2).format(parse(call, 0, pattern: call[1], pivotIndex: 3))
        },
        FunctionSpec("dt:valid", ["s", "pattern", "pivot?"]) { call throws(SedgateError) in
            let compiled = try pattern(call, 1)
            let pivot = try DateFunctions.pivot(call, 2, for: compiled)
            guard case .success = compiled.parse(call[0], pivot: pivot) else { return "false" }
            return "true"
        },
        FunctionSpec("dt:from-julian", ["yyyyddd", "pivot?"]) { call throws(SedgateError) in
            if call[0].isEmpty { return "" }
            let text = call[0]
            let compiled = DatePattern(text.count == 5 ? "yyddd" : "yyyyddd")!
            return try parse(call, 0, pattern: compiled.text, pivotIndex: 1).iso
        },
        FunctionSpec("dt:to-julian", ["iso"]) { call throws(SedgateError) in
            if call[0].isEmpty { return "" }
            return DatePattern("yyyyddd")!.format(try iso(call, 0))
        },
        FunctionSpec("dt:add", ["iso", "amount", "unit?"]) { call throws(SedgateError) in
            let date = try iso(call, 0)
            let steps = try amounts(call)
            var result: CivilDate? = date
            if steps.months != 0 { result = result?.adding(months: steps.months) }
            if steps.days != 0 { result = result.flatMap { CivilDate(dayNumber: $0.dayNumber + steps.days) } }
            guard let result else { throw call.failure("the result falls outside years 1–9999") }
            return result.iso
        },
        FunctionSpec("dt:diff", ["from", "to", "unit?"]) { call throws(SedgateError) in
            let from = try iso(call, 0)
            let to = try iso(call, 1)
            switch call.optional(2, "days") {
            case "days": return String(to.dayNumber - from.dayNumber)
            case "months": return String(from.months(until: to))
            case "years": return String(from.months(until: to) / 12)
            default: throw call.badOption(2, expected: "'days', 'months' or 'years'")
            }
        },
        FunctionSpec("dt:age", ["birth", "at"]) { call throws(SedgateError) in
            String(try iso(call, 0).months(until: iso(call, 1)) / 12)
        },
    ]

    /// Argument `index` as an ISO date.
    static func iso(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> CivilDate {
        guard case .success(let date) = DatePattern("yyyy-MM-dd")!.parse(call[index], pivot: nil) else {
            throw call.bad(index, expected: "an existing date written YYYY-MM-DD")
        }
        return date
    }

    private static func pattern(_ call: FunctionCall, _ index: Int) throws(SedgateError) -> DatePattern {
        guard let pattern = DatePattern(call[index]) else {
            throw call.badOption(index, expected: "a date pattern of yyyy, yy, MM, dd, ddd and literals")
        }
        return pattern
    }

    private static func pivot(
        _ call: FunctionCall, _ index: Int, for pattern: DatePattern
    ) throws(SedgateError)
        -> Int?
    {
        guard call.has(index) else {
            if pattern.needsPivot {
                throw call.badOption(
                    index,
                    expected: "a pivot year (first year of the century window, e.g. 1930) for pattern "
                        + "'\(pattern.text)' with a two-digit year")
            }
            return nil
        }
        guard let pivot = Int(call[index]), (1...9899).contains(pivot) else {
            throw call.badOption(index, expected: "a four-digit pivot year such as 1930")
        }
        return pivot
    }

    private static func parse(
        _ call: FunctionCall, _ index: Int, pattern text: String, pivotIndex: Int
    )
        throws(SedgateError) -> CivilDate
    {
        guard let compiled = DatePattern(text) else {
            throw SedgateError(
                .configuration, "\(call.name): '\(text)' is not a date pattern of yyyy, yy, MM, dd, ddd and literals")
        }
        let pivot = try DateFunctions.pivot(call, pivotIndex, for: compiled)
        switch compiled.parse(call[index], pivot: pivot) {
        case .success(let date): return date
        case .failure(.noSuchDay): throw call.bad(index, expected: "a date that exists, in pattern '\(text)'")
        case .failure(.noYear): throw call.badOption(pivotIndex - 1, expected: "a pattern with a year")
        case .failure: throw call.bad(index, expected: "a date in pattern '\(text)'")
        }
    }

    /// The `amount`/`unit` of `dt:add` as months and days: `(12, 'months')`, `('-3', 'days')` or an ISO
    /// duration `P1Y2M10D` / `-P3D` in one argument.
    private static func amounts(_ call: FunctionCall) throws(SedgateError) -> (months: Int, days: Int) {
        if call.arguments.count == 3 {
            guard let amount = Int(call[1]), abs(amount) <= 3_660_000 else {
                throw call.bad(1, expected: "a whole number")
            }
            switch call[2] {
            case "days", "day": return (0, amount)
            case "weeks", "week": return (0, amount * 7)
            case "months", "month": return (amount, 0)
            case "years", "year": return (amount * 12, 0)
            default: throw call.badOption(2, expected: "'days', 'weeks', 'months' or 'years'")
            }
        }
        var text = Substring(call[1])
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        guard text.hasPrefix("P"), text.count > 1 else {
            throw call.bad(1, expected: "an ISO duration such as P1Y2M10D, or an amount followed by a unit")
        }
        var months = 0
        var days = 0
        var number = ""
        for character in text.dropFirst() {
            if character.isASCII && character.isNumber {
                number.append(character)
                continue
            }
            guard let value = Int(number), value <= 3_660_000 else {
                throw call.bad(1, expected: "an ISO duration such as P1Y2M10D")
            }
            switch character {
            case "Y": months += value * 12
            case "M": months += value
            case "W": days += value * 7
            case "D": days += value
            default: throw call.bad(1, expected: "an ISO duration of years, months, weeks and days, e.g. P1Y2M10D")
            }
            number = ""
        }
        guard number.isEmpty else { throw call.bad(1, expected: "an ISO duration such as P1Y2M10D") }
        return negative ? (-months, -days) : (months, days)
    }
}
