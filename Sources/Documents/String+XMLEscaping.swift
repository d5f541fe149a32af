// String+XMLEscaping: escaping text for XML element content and attribute values.

import SedgateCore

extension String {
    /// This text escaped for XML: `&`, `<`, `>`, `"` and `'` become entity references.
    ///
    /// Safe both as element content and inside a single- or double-quoted attribute value.
    public var xmlEscaped: String { escapingMarkup(apostrophe: "&apos;") }
}
