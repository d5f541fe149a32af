// String+HTMLEscaping: escaping text for HTML element content and quoted attribute values (the console's and the
// public site's pages).

extension String {
    /// This text escaped for HTML: `&`, `<`, `>`, `"` and `'` become character references. Safe between tags and
    /// inside a single- or double-quoted attribute value.
    public var htmlEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for character in unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
