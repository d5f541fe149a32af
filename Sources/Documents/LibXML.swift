// LibXML: one-time libxml2 set-up and small conversions between libxml2 C strings and Swift.

import CLibXML2

/// Internal helpers around libxml2 shared by the parser, the validator and the node accessors.
enum LibXML {
    /// Initialises libxml2 once per process (Swift runs a static initialiser exactly once, thread-safely).
    static let ready: Bool = {
        xmlInitParser()
        return true
    }()

    /// Makes sure `xmlInitParser` ran; call before any other libxml2 function.
    static func initialize() {
        _ = ready
    }

    /// A Swift string from a libxml2 string that libxml2 keeps owning; nil stays nil.
    static func string(_ pointer: UnsafePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// A Swift string from a libxml2 string the caller owns; frees it.
    static func take(_ pointer: UnsafeMutablePointer<xmlChar>?) -> String? {
        guard let pointer else { return nil }
        defer { sedgate_xml_free(pointer) }
        return String(cString: pointer)
    }

    /// A libxml2 error message without its trailing newline, or a fallback when libxml2 gave none.
    static func message(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        guard let pointer else { return "unknown XML error" }
        var text = String(cString: pointer)
        while let last = text.last, last.isNewline || last == " " { text.removeLast() }
        return text
    }
}
