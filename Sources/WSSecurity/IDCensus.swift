// IDCensus: finds every wsu:Id in a document, registers each as a DTD-style ID so xmlsec can resolve "#id"
// references, and counts every Id-like attribute value, so that an id carried by more than one element (the
// signature-wrapping attack) is refused instead of resolved to whichever element came first.

import CLibXML2
import CXMLSec
import SedgateCore

/// The ids of one document.
struct IDCensus {
    /// How many attributes named `Id`, `ID` or `id` (any namespace, including xml:id) carry each value.
    private(set) var counts: [String: Int] = [:]
    /// The element carrying each wsu:Id value (the first one, when a value is carried twice).
    private(set) var wsuIDs: [String: Element] = [:]

    /// Takes the census of `document` and registers its wsu:Id attributes with libxml2.
    init(of document: SecurityDocument) {
        for element in document.root.descendantsAndSelf {
            var attribute = element.node.pointee.properties
            while let current = attribute {
                attribute = current.pointee.next
                guard String(cString: current.pointee.name).lowercased() == "id" else { continue }
                let value = Self.value(of: current, in: document)
                counts[value, default: 0] += 1
                guard current.pointee.ns?.pointee.href.map({ String(cString: $0) }) == Namespace.wsu else { continue }
                if wsuIDs[value] == nil { wsuIDs[value] = element }
                // A value libxml2 already knows (an xml:id, or a second wsu:Id) is not registered again: libxml2 would
                // print a validity error, and `count` refuses it anyway.
                if xmlGetID(document.document, xmlChars(value)) == nil {
                    xmlAddID(nil, document.document, xmlChars(value), current)
                }
            }
        }
    }

    /// How many Id-like attributes carry `id`.
    func count(_ id: String) -> Int {
        counts[id] ?? 0
    }

    /// The one element whose wsu:Id is `id`; throws when no element or more than one element carries `id`.
    /// `role` says in messages what refers to the id (e.g. "the signature's reference"); `missing` and `duplicated`
    /// are the error codes for the two failures.
    func uniqueElement(
        _ id: String, role: String, missing: SedgateError.Code, duplicated: SedgateError.Code
    ) throws(SedgateError) -> Element {
        let count = count(id)
        guard count <= 1 else {
            throw SedgateError(
                duplicated,
                "the id \"\(id)\" of \(role) is carried by \(count) elements; an id must identify exactly one "
                    + "element (a duplicated id is how signature-wrapping attacks hide altered content)")
        }
        guard let element = wsuIDs[id] else {
            throw SedgateError(
                missing, "\(role) refers to \"#\(id)\", but no element has wsu:Id=\"\(id)\"; give the element that id")
        }
        return element
    }

    private static func value(of attribute: xmlAttrPtr, in document: SecurityDocument) -> String {
        guard let text = xmlNodeListGetString(document.document, attribute.pointee.children, 1) else { return "" }
        defer { sedgate_xml_free(text) }
        return String(cString: text)
    }
}
