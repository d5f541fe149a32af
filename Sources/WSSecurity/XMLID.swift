// XMLID: what sedgate accepts as an element id (wsu:Id, EncryptedData/@Id): a plain NCName, so "#id" can never be
// an XPointer expression or refer to another document.

/// Rules for element ids.
enum XMLID {
    /// Whether `id` is a plain NCName-like id: starts with a letter or "_", then letters, digits, ".", "_" or "-".
    static func isPlain(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return id.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)
        }
    }
}
