// FieldProblem: why one field could not be read or written, before the caller adds file, record and column.

/// A field-level failure; the record reader or writer turns it into a located SedgateError.
struct FieldProblem: Error {
    /// What is wrong and what to do, e.g. "'ABC' is not a number for PIC S9(9)V99".
    let message: String
    /// The 0-based byte within the field, when known, to point at the exact column.
    var byteInField: Int = 0
}

extension String {
    /// The text as shown in messages: control characters written as U+XXXX, long values cut.
    var shownInMessage: String {
        var result = ""
        for scalar in unicodeScalars.prefix(60) {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result += "<U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4, with: "0"))>"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return unicodeScalars.count > 60 ? result + "…" : result
    }

    /// The text padded on the left to `width` with `pad`.
    func leftPadded(to width: Int, with pad: Character) -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
