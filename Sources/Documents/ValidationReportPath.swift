// ValidationReportPath: the element path and line of a libxml2 node, as validation findings show them.

import CLibXML2

/// Paths and lines of libxml2 nodes for findings: `/SED/Content/pe:PensionClaim/pe:Institution[2]/@country`.
///
/// Names are written with the prefix the document uses (none for a default namespace), so an administrator can
/// find the element in the file; `[n]` is added only where an element has same-named siblings.
enum NodeLocator {
    /// The path of `node` (element, attribute, text or the document itself).
    static func path(_ node: xmlNodePtr) -> String {
        var steps: [String] = []
        var current: xmlNodePtr? = node
        while let step = current {
            switch step.pointee.type {
            case XML_ELEMENT_NODE:
                steps.append(qualifiedName(step) + position(step))
            case XML_ATTRIBUTE_NODE:
                steps.append("@" + qualifiedName(step))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                steps.append("text()")
            case XML_COMMENT_NODE:
                steps.append("comment()")
            case XML_PI_NODE:
                steps.append("processing-instruction()")
            default:
                // The document node ends the walk: the path is absolute.
                current = nil
                continue
            }
            current = step.pointee.parent
        }
        return "/" + steps.reversed().joined(separator: "/")
    }

    /// The 1-based line of `node`, or of its nearest element ancestor for attributes and text (which carry none).
    static func line(_ node: xmlNodePtr) -> Int? {
        var current: xmlNodePtr? = node
        while let step = current {
            if step.pointee.type == XML_ELEMENT_NODE {
                let line = Int(xmlGetLineNo(step))
                return line > 0 ? line : nil
            }
            current = step.pointee.parent
        }
        return nil
    }

    /// The name as written: `prefix:local`, or `local` without a prefix.
    static func qualifiedName(_ node: xmlNodePtr) -> String {
        let local = LibXML.string(node.pointee.name) ?? ""
        guard node.pointee.type == XML_ELEMENT_NODE || node.pointee.type == XML_ATTRIBUTE_NODE,
            let prefix = LibXML.string(node.pointee.ns?.pointee.prefix)
        else { return local }
        return prefix + ":" + local
    }

    /// `[n]` when the element has siblings of the same name and namespace, else nothing.
    private static func position(_ node: xmlNodePtr) -> String {
        var index = 1
        var before = node.pointee.prev
        while let sibling = before {
            if sameName(sibling, node) { index += 1 }
            before = sibling.pointee.prev
        }
        if index > 1 { return "[\(index)]" }
        var after = node.pointee.next
        while let sibling = after {
            if sameName(sibling, node) { return "[1]" }
            after = sibling.pointee.next
        }
        return ""
    }

    private static func sameName(_ a: xmlNodePtr, _ b: xmlNodePtr) -> Bool {
        a.pointee.type == XML_ELEMENT_NODE && xmlStrEqual(a.pointee.name, b.pointee.name) != 0
            && xmlStrEqual(a.pointee.ns?.pointee.href, b.pointee.ns?.pointee.href) != 0
    }
}
