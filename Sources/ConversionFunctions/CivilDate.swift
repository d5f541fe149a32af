// CivilDate: a proleptic Gregorian calendar date (year 1–9999) with day arithmetic; no time zone, no Foundation.

/// A calendar date. Arithmetic goes through a day number (days since 1970-01-01, Hinnant's algorithm).
struct CivilDate: Sendable, Hashable, Comparable {
    let year: Int
    let month: Int
    let day: Int

    /// A date, or nil when the day does not exist (2023-02-29, month 13, year 0).
    init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CivilDate.daysIn(month: month, year: year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date of day `ordinal` (1-based) of `year`, or nil when out of range.
    init?(year: Int, dayOfYear ordinal: Int) {
        guard (1...9999).contains(year), (1...(CivilDate.isLeap(year) ? 366 : 365)).contains(ordinal) else {
            return nil
        }
        self.init(dayNumber: CivilDate(year: year, month: 1, day: 1)!.dayNumber + ordinal - 1)
    }

    /// The date `dayNumber` days after 1970-01-01, or nil outside years 1–9999.
    init?(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        self.init(year: year, month: month, day: day)
    }

    /// Days since 1970-01-01.
    var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// 1-based day of the year.
    var dayOfYear: Int { dayNumber - CivilDate(year: year, month: 1, day: 1)!.dayNumber + 1 }

    /// `YYYY-MM-DD`.
    var iso: String { Self.digits(year, 4) + "-" + Self.digits(month, 2) + "-" + Self.digits(day, 2) }

    /// Adds months, clamping the day to the target month's last day (Jan 31 + 1 month = Feb 28 or 29).
    func adding(months: Int) -> CivilDate? {
        let total = year * 12 + (month - 1) + months
        let newYear = total >= 0 ? total / 12 : (total - 11) / 12
        let newMonth = total - newYear * 12 + 1
        guard (1...9999).contains(newYear) else { return nil }
        return CivilDate(year: newYear, month: newMonth, day: min(day, Self.daysIn(month: newMonth, year: newYear)))
    }

    /// Whole months from `self` to `other` (negative when `other` is earlier): a month is complete when the day of
    /// the month is reached again, as in java.time (Jan 31 → Feb 29 is 0 months; Feb 29 → next Feb 28 is 11).
    func months(until other: CivilDate) -> Int {
        var count = (other.year - year) * 12 + (other.month - month)
        if count > 0, other.day < day { count -= 1 }
        if count < 0, other.day > day { count += 1 }
        return count
    }

    static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `value` zero-padded to `width` digits.
    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
