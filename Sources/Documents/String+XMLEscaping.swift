// String+XMLEscaping: escaping text for XML element content and attribute values.

extension String {
    /// This text escaped for XML: `&`, `<`, `>`, `"` and `'` become entity references.
    ///
    /// Safe both as element content and inside a single- or double-quoted attribute value.
    public var xmlEscaped: String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for character in unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
