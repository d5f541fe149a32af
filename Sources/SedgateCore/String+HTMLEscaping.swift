// String+HTMLEscaping: escaping text for markup, HTML (the console's and the public site's pages) and XML
// (Documents' `xmlEscaped`), by one routine.

extension String {
    /// This text escaped for HTML: `&`, `<`, `>`, `"` and `'` become character references. Safe between tags and
    /// inside a single- or double-quoted attribute value.
    public var htmlEscaped: String { escapingMarkup(apostrophe: "&#39;") }

    /// This text with `&`, `<`, `>` and `"` replaced by their entity references and `'` by `apostrophe` (`&apos;`
    /// in XML, `&#39;` in HTML, which has no `&apos;` before HTML5): safe as element content and inside a single-
    /// or double-quoted attribute value.
    public func escapingMarkup(apostrophe: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for character in unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += apostrophe
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
