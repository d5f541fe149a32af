// ExactDecimal: a base-10 number held exactly as an Int128 count of units and a scale, for amounts.
//
// Money and quantities in SEDs and legacy files are decimal; binary floating point (Double) and
// Foundation's Decimal round or change representation silently, so sedgate keeps every amount as
// `units × 10^-scale` with at most 38 significant digits and 0...38 fraction digits. Arithmetic that
// would exceed that, and rescaling that would lose digits under `.exact`, throws instead of rounding.

/// An exact decimal number: `units × 10^-scale`, at most 38 significant digits, scale 0...38.
///
/// Equality and ordering are numeric (`1.5 == 1.50`); `description` keeps the scale (`"1.50"`).
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The unscaled integer value: `1234.50` has units 123450 and scale 2.
    public let units: Int128
    /// The number of digits after the decimal point, 0...38.
    public let scale: Int

    /// The largest number of significant digits an `ExactDecimal` holds.
    public static let maximumDigits = 38
    /// The largest scale (fraction digits) an `ExactDecimal` holds.
    public static let maximumScale = 38
    /// Zero, with scale 0.
    public static let zero = ExactDecimal(checkedUnits: 0, scale: 0)

    /// How `rescaled(to:rounding:)` treats digits that no longer fit.
    public enum Rounding: Sendable, Hashable {
        /// Ties go away from zero (commercial rounding: 2.345 → 2.35, -2.345 → -2.35).
        case halfUp
        /// Ties go to the even neighbour (banker's rounding: 2.345 → 2.34, 2.355 → 2.36).
        case halfEven
        /// Digits are dropped, towards zero (2.349 → 2.34, -2.349 → -2.34).
        case down
        /// Any non-zero dropped digit is an error.
        case exact
    }

    /// Makes `units × 10^-scale`. A program error (not input) if |units| ≥ 10^38 or scale is outside
    /// 0...38: this initializer is for values a program builds; parse input with `init?(_:)`.
    public init(units: Int128, scale: Int) {
        precondition(scale >= 0 && scale <= Self.maximumScale, "ExactDecimal scale must be 0...38")
        precondition(units.magnitude < Self.limit, "ExactDecimal holds at most 38 digits")
        self.units = units
        self.scale = scale
    }

    /// Makes an integer value with scale 0.
    public init(_ value: Int) {
        self.init(checkedUnits: Int128(value), scale: 0)
    }

    /// Parses `[+-]digits[.digits]`: "-1234.50", "+0.5", ".5", "17". Leading zeros are allowed; the
    /// scale is the number of fraction digits written. Returns nil for anything else (exponents,
    /// spaces, commas, empty text) or for more than 38 significant digits.
    public init?(_ text: String) {
        var negative = false
        var units: UInt128 = 0
        var significant = 0
        var scale = 0
        var digits = 0
        var seenPoint = false
        var first = true
        for byte in text.utf8 {
            defer { first = false }
            switch byte {
            case UInt8(ascii: "-") where first: negative = true
            case UInt8(ascii: "+") where first: break
            case UInt8(ascii: ".") where !seenPoint: seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = UInt128(byte - UInt8(ascii: "0"))
                digits += 1
                if seenPoint { scale += 1 }
                if units == 0 && digit == 0 {
                    // Leading zeros are not significant, but a fraction's zeros still count for scale.
                } else {
                    significant += 1
                    if significant > Self.maximumDigits { return nil }
                    units = units * 10 + digit
                }
            default: return nil
            }
        }
        guard digits > 0, scale <= Self.maximumScale else { return nil }
        let signed = Int128(units)
        self.init(checkedUnits: negative ? -signed : signed, scale: scale)
    }

    /// The canonical text: an optional `-`, at least one integer digit, and exactly `scale` fraction digits.
    public var description: String {
        var digits = String(units.magnitude)
        if digits.count <= scale {
            digits = String(repeating: "0", count: scale - digits.count + 1) + digits
        }
        if scale > 0 {
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return units < 0 ? "-" + digits : digits
    }

    /// Whether the value is zero (at any scale).
    public var isZero: Bool { units == 0 }

    /// -1, 0 or 1.
    public var signum: Int { units < 0 ? -1 : (units == 0 ? 0 : 1) }

    /// The same value with the sign flipped (`0` stays `0`).
    public var negated: ExactDecimal { ExactDecimal(checkedUnits: -units, scale: scale) }

    /// Flips the sign in place.
    public mutating func negate() { self = negated }

    /// The value with `newScale` fraction digits, rounding as asked. Throws when the result would exceed
    /// 38 digits, or when digits would be lost under `.exact`.
    public func rescaled(to newScale: Int, rounding: Rounding = .exact) throws(SedgateError) -> ExactDecimal {
        guard newScale >= 0 && newScale <= Self.maximumScale else {
            throw Self.error("scale \(newScale) is outside 0...38")
        }
        if newScale == scale { return self }
        if newScale > scale {
            let (product, overflow) = units.multipliedReportingOverflow(by: Self.power(newScale - scale))
            guard !overflow, product.magnitude < Self.limit else {
                throw Self.error("\(self) with \(newScale) decimals needs more than 38 digits")
            }
            return ExactDecimal(checkedUnits: product, scale: newScale)
        }
        let divisor = Self.power(scale - newScale)
        let quotient = try Self.divide(units, by: divisor, rounding: rounding, describing: self, newScale: newScale)
        return ExactDecimal(checkedUnits: quotient, scale: newScale)
    }

    /// The value with trailing fraction zeros removed (`1.500` → `1.5`, `2.00` → `2`).
    public var normalized: ExactDecimal {
        var units = units
        var scale = scale
        while scale > 0 && units % 10 == 0 {
            units /= 10
            scale -= 1
        }
        return ExactDecimal(checkedUnits: units, scale: scale)
    }

    /// The sum, at the larger of the two scales. Throws beyond 38 digits.
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) throws(SedgateError) -> ExactDecimal {
        let scale = max(lhs.scale, rhs.scale)
        let a = try lhs.rescaled(to: scale)
        let b = try rhs.rescaled(to: scale)
        let (sum, overflow) = a.units.addingReportingOverflow(b.units)
        guard !overflow, sum.magnitude < limit else { throw error("\(lhs) + \(rhs) needs more than 38 digits") }
        return ExactDecimal(checkedUnits: sum, scale: scale)
    }

    /// The difference, at the larger of the two scales. Throws beyond 38 digits.
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) throws(SedgateError) -> ExactDecimal {
        try lhs + rhs.negated
    }

    /// The product, at the sum of the two scales. Throws beyond 38 digits or a scale above 38.
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) throws(SedgateError) -> ExactDecimal {
        let scale = lhs.scale + rhs.scale
        let (product, overflow) = lhs.units.multipliedReportingOverflow(by: rhs.units)
        guard !overflow, product.magnitude < limit, scale <= maximumScale else {
            throw error("\(lhs) × \(rhs) needs more than 38 digits")
        }
        return ExactDecimal(checkedUnits: product, scale: scale)
    }

    /// The quotient with `scale` fraction digits, rounded as asked (`.exact` throws if it does not
    /// terminate within that scale). Throws on division by zero.
    public func divided(by divisor: ExactDecimal, scale: Int, rounding: Rounding) throws(SedgateError) -> ExactDecimal {
        guard divisor.units != 0 else { throw Self.error("\(self) cannot be divided by zero") }
        guard scale >= 0 && scale <= Self.maximumScale else { throw Self.error("scale \(scale) is outside 0...38") }
        // units / 10^s1 ÷ (d / 10^s2) = units × 10^(scale - s1 + s2) / d, in units of 10^-scale.
        let exponent = scale - self.scale + divisor.scale
        var numerator = units
        var denominator = divisor.units
        if exponent >= 0 {
            let (value, overflow) = numerator.multipliedReportingOverflow(by: Self.power(min(exponent, 38)))
            guard exponent <= 38, !overflow else { throw Self.error("\(self) ÷ \(divisor) needs more than 38 digits") }
            numerator = value
        } else {
            let (value, overflow) = denominator.multipliedReportingOverflow(by: Self.power(min(-exponent, 38)))
            // A denominator too large to hold means the quotient rounds from a value below one unit.
            guard -exponent <= 38, !overflow else {
                return try ExactDecimal.zero.rescaled(to: scale)
            }
            denominator = value
        }
        if denominator < 0 {
            denominator = -denominator
            numerator = -numerator
        }
        let quotient = try Self.divide(
            numerator, by: denominator, rounding: rounding, describing: self, newScale: scale)
        guard quotient.magnitude < Self.limit else {
            throw Self.error("\(self) ÷ \(divisor) needs more than 38 digits")
        }
        return ExactDecimal(checkedUnits: quotient, scale: scale)
    }

    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        compare(lhs, rhs) == 0
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        compare(lhs, rhs) < 0
    }

    public func hash(into hasher: inout Hasher) {
        // Numerically equal values must hash alike, so hash the form without trailing zeros.
        let canonical = normalized
        hasher.combine(canonical.units)
        hasher.combine(canonical.scale)
    }

    // MARK: - Internals

    /// 10^38: every |units| stays below it, so negation and 38-digit text never overflow.
    static let limit: UInt128 = {
        var value: UInt128 = 1
        for _ in 0..<38 { value *= 10 }
        return value
    }()

    init(checkedUnits: Int128, scale: Int) {
        self.units = checkedUnits
        self.scale = scale
    }

    static func power(_ exponent: Int) -> Int128 {
        var value: Int128 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Compares numerically across scales without overflow: integer parts first, then fractions
    /// brought to a common scale (a fraction below 10^38 always fits an Int128).
    static func compare(_ a: ExactDecimal, _ b: ExactDecimal) -> Int {
        if a.signum != b.signum { return a.signum < b.signum ? -1 : 1 }
        let pa = power(a.scale)
        let pb = power(b.scale)
        let (ia, fa) = a.units.quotientAndRemainder(dividingBy: pa)
        let (ib, fb) = b.units.quotientAndRemainder(dividingBy: pb)
        if ia != ib { return ia < ib ? -1 : 1 }
        let scale = max(a.scale, b.scale)
        let fa2 = fa * power(scale - a.scale)
        let fb2 = fb * power(scale - b.scale)
        if fa2 == fb2 { return 0 }
        return fa2 < fb2 ? -1 : 1
    }

    /// `numerator / denominator` (denominator > 0) rounded as asked.
    static func divide(
        _ numerator: Int128, by denominator: Int128, rounding: Rounding, describing value: ExactDecimal, newScale: Int
    ) throws(SedgateError) -> Int128 {
        let (quotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        if remainder == 0 { return quotient }
        let away: Int128 = numerator < 0 ? -1 : 1
        // Compare twice the remainder with the divisor without overflowing: r vs d - r.
        let rest = remainder.magnitude
        let other = denominator.magnitude - rest
        switch rounding {
        case .down:
            return quotient
        case .exact:
            throw error("\(value) cannot be written with \(newScale) decimals without rounding")
        case .halfUp:
            return rest >= other ? quotient + away : quotient
        case .halfEven:
            if rest > other { return quotient + away }
            if rest < other { return quotient }
            return quotient % 2 == 0 ? quotient : quotient + away
        }
    }

    static func error(_ what: String) -> SedgateError {
        SedgateError(
            .unsupportedInput,
            "\(what); an exact decimal holds at most 38 digits and 38 decimals, check the value or the field's scale")
    }
}
