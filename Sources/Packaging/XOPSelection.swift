// XOPSelection: which elements XOP.externalize moves out of the XML, by namespace and local name.

/// Chooses the elements whose base64 content becomes an MTOM attachment.
public struct XOPSelection: Sendable {
    /// Whether an element with this namespace URI (nil: none) and local name is selected.
    public let matches: @Sendable (_ namespace: String?, _ localName: String) -> Bool

    /// Selects the elements for which `matches` returns true.
    public init(_ matches: @escaping @Sendable (_ namespace: String?, _ localName: String) -> Bool) {
        self.matches = matches
    }

    /// Every `xenc:CipherValue` (XML Encryption, http://www.w3.org/2001/04/xmlenc#).
    public static let cipherValues = elements(named: "CipherValue", namespace: XOP.xmlEncryptionNamespace)

    /// Every element with this local name in this namespace (nil: no namespace).
    public static func elements(named localName: String, namespace: String?) -> XOPSelection {
        XOPSelection { $0 == namespace && $1 == localName }
    }
}
