// FieldCodec: one MTF field's bytes ⇄ its logical text value: text (trimmed, XML-safe), zoned and packed
// decimals (implied decimals, overpunched or separate signs, EBCDIC zones), dates through dt:parse/dt:format.
//
// Logical values are what the binding and the CFF profile see: text as written, numbers as exact decimals with
// the PIC's scale ("-1234.50"), dates as ISO YYYY-MM-DD; nil means "no value" (blank text, a null sentinel).

import ConversionFunctions
import SedgateCore

/// Reads and writes the fields of MTF records in one code page.
struct FieldCodec: Sendable {
    let charset: Charset
    let library: FunctionLibrary
    private let space: UInt8
    private let plus: UInt8
    private let minus: UInt8
    private let zero: UInt8

    init(charset: Charset, library: FunctionLibrary) {
        self.charset = charset
        self.library = library
        space = charset.byte(" ")
        plus = charset.byte("+")
        minus = charset.byte("-")
        zero = charset.byte("0")
    }

    // MARK: - Reading

    func decode(_ field: FieldLayout, _ bytes: ArraySlice<UInt8>) throws(FieldProblem) -> String? {
        if field.opaqueFill != nil { return nil }
        if !field.nulls.isEmpty, field.usage == .display, isNull(field, bytes) { return nil }
        if field.isNumber {
            let value = field.usage == .packed ? try decodePacked(field, bytes) : try decodeZoned(field, bytes)
            if let constant = field.constant, ExactDecimal(constant) != ExactDecimal(value) {
                throw FieldProblem(message: "the value \(value) should be the constant \(constant)")
            }
            return value
        }
        if field.constant == nil, let trimmed = charset.quickText(bytes, trimmingLeft: field.alignRight),
            !trimmed.isEmpty
        {
            // Every byte is a character XML carries: the same text as below, without the per-character work.
            guard let pattern = field.datePattern else { return trimmed }
            if pattern == "yyyyMMdd", field.pivot == nil, let iso = Self.isoDate(yyyyMMdd: trimmed) { return iso }
            return try parseDate(trimmed, field: field, pattern: pattern)
        }
        let raw: String
        do {
            raw = try decodeText(bytes)
        } catch {
            guard field.ignored else { throw error }
            throw FieldProblem(
                message: error.message
                    + "; if the bytes of this field do not matter (a filler), declare it opaque: true in the mapping",
                byteInField: error.byteInField)
        }
        let trimmed = trim(raw, right: field.alignRight)
        if let constant = field.constant, trimmed != trim(constant, right: field.alignRight) {
            throw FieldProblem(message: "'\(raw.shownInMessage)' should be the constant '\(constant)'")
        }
        if trimmed.isEmpty, let pattern = field.datePattern, field.hasNumericPicture {
            // A number field is never blank (mappings/README.md): a blank date is refused, not read as "no date".
            throw FieldProblem(
                message:
                    "the date is blank, but PIC \(field.picture) holds a date in the pattern \(pattern); correct the "
                    + "file, or, if a blank means \"no date\" here, declare it in the mapping: nulls: [\""
                    + String(repeating: " ", count: field.length) + "\"]")
        }
        guard !trimmed.isEmpty else { return nil }
        if let pattern = field.datePattern { return try parseDate(trimmed, field: field, pattern: pattern) }
        return trimmed
    }

    /// `dt:parse` of a field's trimmed text.
    private func parseDate(_ trimmed: String, field: FieldLayout, pattern: String) throws(FieldProblem) -> String {
        do {
            return try library.call("dt:parse", [trimmed, pattern] + (field.pivot.map { [$0] } ?? []))
        } catch {
            throw FieldProblem(
                message: "'\(trimmed.shownInMessage)' is not a valid date for the pattern \(pattern) (\(error.message))"
            )
        }
    }

    /// Whether the field's bytes are one of its null sentinels (their text equals one of `nulls`).
    private func isNull(_ field: FieldLayout, _ bytes: ArraySlice<UInt8>) -> Bool {
        if !charset.isUTF8 {
            var undecided = false
            for null in field.nulls {
                let scalars = null.unicodeScalars
                var same = scalars.count == bytes.count
                var ascii = true
                if same {
                    for (scalar, byte) in zip(scalars, bytes) {
                        let decoded = charset.decodeTable[Int(byte)]
                        if decoded != scalar { same = false }
                        if scalar.value >= 0x80 || (decoded?.value ?? 0x80) >= 0x80 { ascii = false }
                    }
                }
                if same { return true }
                // Texts of ASCII characters only are equal only when identical; others may be canonically equal.
                if !ascii || scalars.contains(where: { $0.value >= 0x80 }) { undecided = true }
            }
            if !undecided { return false }
        }
        guard case .success(let raw) = charset.decode(bytes) else { return false }
        return field.nulls.contains(raw)
    }

    /// `dt:parse(text, 'yyyyMMdd')` for eight digits that make a date (year 1-9999), else nil (the library then
    /// decides, and explains).
    static func isoDate(yyyyMMdd text: String) -> String? {
        var text = text
        return text.withUTF8 { digits -> String? in
            guard digits.count == 8 else { return nil }
            var values = (0, 0, 0)
            for (index, byte) in digits.enumerated() {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                let digit = Int(byte - 0x30)
                switch index {
                case 0..<4: values.0 = values.0 * 10 + digit
                case 4..<6: values.1 = values.1 * 10 + digit
                default: values.2 = values.2 * 10 + digit
                }
            }
            guard isDate(year: values.0, month: values.1, day: values.2) else { return nil }
            return String(unsafeUninitializedCapacity: 10) { output in
                for index in 0..<4 { output[index] = digits[index] }
                output[4] = 0x2D
                output[5] = digits[4]
                output[6] = digits[5]
                output[7] = 0x2D
                output[8] = digits[6]
                output[9] = digits[7]
                return 10
            }
        }
    }

    /// Whether the day exists in the proleptic Gregorian calendar, years 1-9999.
    static func isDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// Decodes text and refuses characters XML 1.0 cannot carry (C0/C1 controls other than tab, CR, LF).
    func decodeText(_ bytes: ArraySlice<UInt8>) throws(FieldProblem) -> String {
        switch charset.decode(bytes) {
        case .failure(let failure):
            let byte = bytes[bytes.startIndex + failure.index]
            throw FieldProblem(
                message:
                    "the byte 0x\(String(byte, radix: 16, uppercase: true).leftPadded(to: 2, with: "0")) is not a character in \(charset.name); check the file's code page (flat.mtf.charset)",
                byteInField: failure.index)
        case .success(let text):
            var index = 0
            for scalar in text.unicodeScalars {
                let value = scalar.value
                if (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || (0x7F...0x9F).contains(value)
                    || value == 0xFFFE || value == 0xFFFF
                {
                    let hint =
                        (0x80...0x9F).contains(value) && !charset.isEBCDIC
                        ? " (a Windows-1252 file declared as \(charset.name)?)" : ""
                    throw FieldProblem(
                        message:
                            "the control character U+\(String(value, radix: 16, uppercase: true).leftPadded(to: 4, with: "0")) cannot be carried in XML\(hint); correct the text in the source system",
                        byteInField: charset.isUTF8 ? index : index)
                }
                index += charset.isUTF8 ? String(scalar).utf8.count : 1
            }
            return text
        }
    }

    private func trim(_ text: String, right: Bool) -> String {
        let scalars = text.unicodeScalars
        if right {
            guard let first = scalars.firstIndex(where: { $0 != " " }) else { return "" }
            return String(scalars[first...])
        }
        guard let last = scalars.lastIndex(where: { $0 != " " }) else { return "" }
        return String(scalars[...last])
    }

    private func notANumber(_ field: FieldLayout, _ bytes: ArraySlice<UInt8>) -> FieldProblem {
        let shown: String
        if field.usage == .packed {
            shown =
                "X'" + bytes.map { String($0, radix: 16, uppercase: true).leftPadded(to: 2, with: "0") }.joined() + "'"
        } else {
            switch charset.decode(bytes) {
            case .success(let text): shown = "'" + text.shownInMessage + "'"
            case .failure: shown = "X'" + bytes.map { String($0, radix: 16, uppercase: true) }.joined() + "'"
            }
        }
        let usage = field.usage == .packed ? " COMP-3" : ""
        return FieldProblem(message: "\(shown) is not a number for PIC \(field.picture)\(usage)")
    }

    /// The digit of a display byte, nil if it is not a plain digit.
    private func digit(_ byte: UInt8) -> UInt8? {
        if charset.isEBCDIC { return (0xF0...0xF9).contains(byte) ? byte - 0xF0 : nil }
        return (0x30...0x39).contains(byte) ? byte - 0x30 : nil
    }

    /// An overpunched sign digit: EBCDIC zone C/F (+) or D (-); ASCII `{A-I` (+), `}J-R` (-), or a plain digit.
    private func overpunch(_ byte: UInt8) -> (digit: UInt8, negative: Bool)? {
        if charset.isEBCDIC {
            let zone = byte >> 4
            let low = byte & 0x0F
            guard low <= 9 else { return nil }
            switch zone {
            case 0xC, 0xF, 0xA, 0xE: return (low, false)
            case 0xD, 0xB: return (low, true)
            default: return nil
            }
        }
        switch byte {
        case 0x30...0x39: return (byte - 0x30, false)
        case UInt8(ascii: "{"): return (0, false)
        case UInt8(ascii: "A")...UInt8(ascii: "I"): return (byte - UInt8(ascii: "A") + 1, false)
        case UInt8(ascii: "}"): return (0, true)
        case UInt8(ascii: "J")...UInt8(ascii: "R"): return (byte - UInt8(ascii: "J") + 1, true)
        default: return nil
        }
    }

    private func decodeZoned(_ field: FieldLayout, _ bytes: ArraySlice<UInt8>) throws(FieldProblem) -> String {
        guard case .number(_, let scale, let signed) = field.picture.kind else { return "" }
        var digits = [UInt8]()
        digits.reserveCapacity(bytes.count)
        var negative = false
        var body = bytes
        if signed && field.sign.isSeparate {
            let signByte = field.sign == .leadingSeparate ? bytes.first! : bytes.last!
            guard signByte == plus || signByte == minus else {
                throw FieldProblem(
                    message: "\(notANumber(field, bytes).message): the sign must be '+' or '-'",
                    byteInField: field.sign == .leadingSeparate ? 0 : bytes.count - 1)
            }
            negative = signByte == minus
            body = field.sign == .leadingSeparate ? bytes.dropFirst() : bytes.dropLast()
        }
        for (index, byte) in body.enumerated() {
            let isSignPosition =
                signed && !field.sign.isSeparate
                && (field.sign == .trailing ? index == body.count - 1 : index == 0)
            if isSignPosition {
                guard let (value, isNegative) = overpunch(byte) else { throw notANumber(field, bytes) }
                digits.append(value)
                negative = isNegative
            } else {
                guard let value = digit(byte) else { throw notANumber(field, bytes) }
                digits.append(value)
            }
        }
        return Self.decimalText(digits: digits, scale: scale, negative: negative)
    }

    private func decodePacked(_ field: FieldLayout, _ bytes: ArraySlice<UInt8>) throws(FieldProblem) -> String {
        guard case .number(_, let scale, _) = field.picture.kind else { return "" }
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 2)
        for (index, byte) in bytes.enumerated() {
            let high = byte >> 4
            let low = byte & 0x0F
            guard high <= 9 else { throw notANumber(field, bytes) }
            digits.append(high)
            if index < bytes.count - 1 {
                guard low <= 9 else { throw notANumber(field, bytes) }
                digits.append(low)
            } else {
                guard low >= 0xA else { throw notANumber(field, bytes) }
                let negative = low == 0xD || low == 0xB
                // An even digit count leaves one unused high digit, which must be zero.
                let extra = digits.count - field.picture.digits
                if extra > 0 && digits.prefix(extra).contains(where: { $0 != 0 }) {
                    throw FieldProblem(message: "\(notANumber(field, bytes).message): it has more digits than the PIC")
                }
                return Self.decimalText(
                    digits: Array(digits.dropFirst(max(extra, 0))), scale: scale, negative: negative)
            }
        }
        throw notANumber(field, bytes)
    }

    /// "-1234.50" from the digits 0,0,1,2,3,4,5,0 and scale 2 (leading zeros dropped, -0 written as 0).
    static func decimalText(digits: [UInt8], scale: Int, negative: Bool) -> String {
        let integerCount = digits.count - scale
        let fractionStart = max(0, integerCount)
        var first = 0
        while first < integerCount && digits[first] == 0 { first += 1 }
        let isZero = !digits.contains { $0 != 0 }
        let sign = negative && !isZero ? 1 : 0
        let integerLength = first < integerCount ? integerCount - first : 1
        let length = sign + integerLength + (scale > 0 ? 1 + (digits.count - fractionStart) : 0)
        return String(unsafeUninitializedCapacity: length) { output in
            var written = 0
            if sign == 1 {
                output[0] = 0x2D
                written = 1
            }
            if first < integerCount {
                for index in first..<integerCount {
                    output[written] = 0x30 + digits[index]
                    written += 1
                }
            } else {
                output[written] = 0x30
                written += 1
            }
            if scale > 0 {
                output[written] = 0x2E
                written += 1
                for index in fractionStart..<digits.count {
                    output[written] = 0x30 + digits[index]
                    written += 1
                }
            }
            return written
        }
    }

    // MARK: - Writing

    /// Appends the field's bytes for `value` (nil: blank text, or the first null sentinel).
    func encode(_ field: FieldLayout, _ value: String?, into output: inout [UInt8]) throws(FieldProblem) {
        if let fill = field.opaqueFill {
            output += repeatElement(fillByte(fill), count: field.length)
            return
        }
        guard let value, !(value.isEmpty && !field.isNumber) else {
            if let null = field.nulls.first {
                try appendText(null, field: field, into: &output)
            } else if field.hasNumericPicture {
                throw FieldProblem(
                    message:
                        "has no value and the field has no null representation; give the element, or add nulls: to the field"
                )
            } else {
                output += repeatElement(space, count: field.length)
            }
            return
        }
        if field.isNumber {
            try encodeNumber(field, value, into: &output)
            return
        }
        var text = value
        if let pattern = field.datePattern {
            if pattern == "yyyyMMdd", let digits = Self.yyyyMMdd(iso: value) {
                try appendText(digits, field: field, into: &output)
                return
            }
            do {
                text = try library.call("dt:format", [value, pattern])
            } catch {
                throw FieldProblem(
                    message: "'\(value.shownInMessage)' is not an ISO date YYYY-MM-DD (\(error.message))")
            }
        }
        try appendText(text, field: field, into: &output)
    }

    /// The byte an opaque field is filled with.
    private func fillByte(_ fill: OpaqueFill) -> UInt8 {
        switch fill {
        case .spaces: return space
        case .zeros: return zero
        case .lowValues: return 0x00
        case .highValues: return 0xFF
        }
    }

    /// `dt:format(iso, 'yyyyMMdd')` for an existing date written YYYY-MM-DD, else nil (the library then decides,
    /// and explains).
    static func yyyyMMdd(iso text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
            var values = (0, 0, 0)
            for (index, byte) in bytes.enumerated() where index != 4 && index != 7 {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                let digit = Int(byte - 0x30)
                switch index {
                case 0..<4: values.0 = values.0 * 10 + digit
                case 5..<7: values.1 = values.1 * 10 + digit
                default: values.2 = values.2 * 10 + digit
                }
            }
            guard isDate(year: values.0, month: values.1, day: values.2) else { return nil }
            return String(unsafeUninitializedCapacity: 8) { output in
                var written = 0
                for (index, byte) in bytes.enumerated() where index != 4 && index != 7 {
                    output[written] = byte
                    written += 1
                }
                return written
            }
        }
    }

    /// Appends `text` padded to the field when every character is ASCII with a byte in this charset and it fits:
    /// the same bytes as `appendText`, without its per-character look-ups. False when it did nothing.
    private func appendASCII(_ text: String, field: FieldLayout, into output: inout [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in
            guard utf8.count <= field.length else { return false }
            let start = output.count
            if field.alignRight { output.append(contentsOf: repeatElement(space, count: field.length - utf8.count)) }
            for byte in utf8 {
                guard byte < 0x80, let encoded = charset.asciiEncodeTable[Int(byte)] else {
                    output.removeSubrange(start...)
                    return false
                }
                output.append(encoded)
            }
            if !field.alignRight { output.append(contentsOf: repeatElement(space, count: field.length - utf8.count)) }
            return true
        }
    }

    private func appendText(_ text: String, field: FieldLayout, into output: inout [UInt8]) throws(FieldProblem) {
        if appendASCII(text, field: field, into: &output) { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(field.length)
        for scalar in text.unicodeScalars {
            let before = bytes.count
            if charset.isUTF8 {
                bytes.append(contentsOf: String(scalar).utf8)
            } else if let byte = charset.encodeTable[scalar] {
                bytes.append(byte)
            } else {
                throw FieldProblem(
                    message:
                        "the character '\(String(scalar))' (U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4, with: "0"))) cannot be written in \(charset.name); transliterate it (write: tr:to-latin1) or correct the text"
                )
            }
            if bytes.count > field.length {
                bytes.removeSubrange(before...)
                if field.truncate { break }
                throw FieldProblem(
                    message:
                        "'\(text.shownInMessage)' is \(text.unicodeScalars.count) characters\(charset.isUTF8 ? " (\(text.utf8.count) bytes in UTF-8)" : "") but PIC \(field.picture) holds \(field.length); shorten it, widen the field, or set on-overflow: truncate"
                )
            }
        }
        let padding = repeatElement(space, count: field.length - bytes.count)
        if field.alignRight {
            output += padding
            output += bytes
        } else {
            output += bytes
            output += padding
        }
    }

    private func encodeNumber(_ field: FieldLayout, _ value: String, into output: inout [UInt8]) throws(FieldProblem) {
        guard case .number(let integerDigits, let scale, let signed) = field.picture.kind else { return }
        guard let number = ExactDecimal(value) else {
            throw FieldProblem(message: "'\(value.shownInMessage)' is not a number for PIC \(field.picture)")
        }
        let scaled: ExactDecimal
        do {
            scaled = try number.rescaled(to: scale, rounding: .exact)
        } catch {
            throw FieldProblem(
                message: "\(value) has more decimals than PIC \(field.picture) holds (\(scale)); round it first")
        }
        if number.signum < 0 && !signed {
            throw FieldProblem(message: "\(value) is negative but PIC \(field.picture) has no sign (S)")
        }
        var digitText = String(scaled.units.magnitude)
        if digitText.count > integerDigits + scale {
            throw FieldProblem(
                message:
                    "\(value) does not fit PIC \(field.picture) (at most \(integerDigits) digits before the decimal point); widen the field"
            )
        }
        digitText = digitText.leftPadded(to: integerDigits + scale, with: "0")
        let digits = digitText.utf8.map { $0 - UInt8(ascii: "0") }
        let negative = scaled.signum < 0
        if field.usage == .packed {
            var nibbles = digits
            if nibbles.count % 2 == 0 { nibbles.insert(0, at: 0) }
            nibbles.append(signed ? (negative ? 0xD : 0xC) : 0xF)
            var index = 0
            while index < nibbles.count {
                output.append(nibbles[index] << 4 | nibbles[index + 1])
                index += 2
            }
            return
        }
        var bytes = digits.map { zero + $0 }
        if signed {
            switch field.sign {
            case .trailingSeparate: bytes.append(negative ? minus : plus)
            case .leadingSeparate: bytes.insert(negative ? minus : plus, at: 0)
            case .trailing: bytes[bytes.count - 1] = overpunched(digits[digits.count - 1], negative: negative)
            case .leading: bytes[0] = overpunched(digits[0], negative: negative)
            }
        }
        output += bytes
    }

    private func overpunched(_ digit: UInt8, negative: Bool) -> UInt8 {
        if charset.isEBCDIC { return (negative ? 0xD0 : 0xC0) | digit }
        let table: [UInt8] = Array((negative ? "}JKLMNOPQR" : "{ABCDEFGHI").utf8)
        return table[Int(digit)]
    }
}
