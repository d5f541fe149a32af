// DatePattern: `yyyyMMdd`-style patterns (yyyy yy MM dd ddd, literals) that parse and format CivilDates.

/// A compiled date pattern. Tokens: `yyyy` (4-digit year), `yy` (2-digit year, needs a pivot), `MM`, `dd`,
/// `ddd` (day of the year, 001–366); any other character, or text in single quotes, is a literal.
struct DatePattern: Sendable {
    enum Token: Sendable, Equatable {
        case year4, year2, month, day, dayOfYear
        case literal(Character)

        var width: Int {
            switch self {
            case .year4: 4
            case .year2, .month, .day: 2
            case .dayOfYear: 3
            case .literal: 1
            }
        }
    }

    let text: String
    let tokens: [Token]

    /// Compiles `text`; nil when it holds a token this library does not know (`y`, `yyy`, `M`, `dddd`).
    init?(_ text: String) {
        self.text = text
        var tokens: [Token] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "'" {
                index += 1
                while index < characters.count, characters[index] != "'" {
                    tokens.append(.literal(characters[index]))
                    index += 1
                }
                index += 1
                continue
            }
            var run = 1
            while index + run < characters.count, characters[index + run] == character { run += 1 }
            switch (character, run) {
            case ("y", 4): tokens.append(.year4)
            case ("y", 2): tokens.append(.year2)
            case ("M", 2): tokens.append(.month)
            case ("d", 2): tokens.append(.day)
            case ("d", 3): tokens.append(.dayOfYear)
            case ("y", _), ("M", _), ("d", _): return nil
            default: tokens.append(contentsOf: Array(repeating: .literal(character), count: run))
            }
            index += run
        }
        self.tokens = tokens
    }

    /// Whether the pattern has a two-digit year (and so needs a pivot).
    var needsPivot: Bool { tokens.contains(.year2) }

    /// The date `input` denotes, or a reason it does not (for the caller's error message).
    /// `pivot` is the first year of the 100-year window two-digit years fall in (1925: 25 → 1925, 24 → 2024).
    func parse(_ input: String, pivot: Int?) -> Result<CivilDate, ParseFailure> {
        let characters = Array(input)
        let expected = tokens.reduce(0) { $0 + $1.width }
        guard characters.count == expected else { return .failure(.shape) }
        var year: Int?
        var month = 1
        var day = 1
        var ordinal: Int?
        var index = 0
        for token in tokens {
            let slice = characters[index..<index + token.width]
            index += token.width
            if case .literal(let character) = token {
                guard slice.first == character else { return .failure(.shape) }
                continue
            }
            guard slice.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(String(slice)) else {
                return .failure(.shape)
            }
            switch token {
            case .year4: year = value
            case .year2:
                guard let pivot else { return .failure(.needsPivot) }
                let century = pivot - pivot % 100
                year = century + value < pivot ? century + 100 + value : century + value
            case .month: month = value
            case .day: day = value
            case .dayOfYear: ordinal = value
            case .literal: break
            }
        }
        guard let year else { return .failure(.noYear) }
        let date = ordinal.map { CivilDate(year: year, dayOfYear: $0) } ?? CivilDate(year: year, month: month, day: day)
        return date.map(Result.success) ?? .failure(.noSuchDay)
    }

    /// `date` written in this pattern. A `yy` pattern writes the last two digits of the year.
    func format(_ date: CivilDate) -> String {
        var output = ""
        for token in tokens {
            switch token {
            case .year4: output += CivilDate.digits(date.year, 4)
            case .year2: output += CivilDate.digits(date.year % 100, 2)
            case .month: output += CivilDate.digits(date.month, 2)
            case .day: output += CivilDate.digits(date.day, 2)
            case .dayOfYear: output += CivilDate.digits(date.dayOfYear, 3)
            case .literal(let character): output.append(character)
            }
        }
        return output
    }

    /// Why a parse failed.
    enum ParseFailure: Error {
        case shape, needsPivot, noYear, noSuchDay
    }
}
