// XMLNode: read-only access to one element of an XMLTree (names, text, attributes, children, path).

import CLibXML2
import Glibc

/// One element of a parsed document. Keeps its `XMLTree` alive; read-only, so it may be shared between tasks.
public struct XMLNode: @unchecked Sendable {
    /// The tree that owns the libxml2 node.
    public let tree: XMLTree
    let node: xmlNodePtr

    init(tree: XMLTree, node: xmlNodePtr) {
        self.tree = tree
        self.node = node
    }

    /// The element name without its prefix (`Envelope` for `sed:Envelope`).
    public var localName: String {
        LibXML.string(node.pointee.name) ?? ""
    }

    /// The namespace URI the element is in, or nil when it is in no namespace.
    public var namespaceURI: String? {
        LibXML.string(node.pointee.ns?.pointee.href)
    }

    /// The prefix written in the document (`sed` for `sed:Envelope`), or nil for none.
    public var prefix: String? {
        LibXML.string(node.pointee.ns?.pointee.prefix)
    }

    /// The 1-based line of the element's start tag.
    public var line: Int {
        Int(xmlGetLineNo(node))
    }

    /// The concatenated text of the element and all its descendants (text and CDATA).
    public var text: String {
        LibXML.take(xmlNodeGetContent(node)) ?? ""
    }

    /// The element children, in document order (text, comments and processing instructions are skipped).
    public var children: [XMLNode] {
        var result: [XMLNode] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { result.append(XMLNode(tree: tree, node: current)) }
            child = current.pointee.next
        }
        return result
    }

    /// The parent element, or nil for the root.
    public var parent: XMLNode? {
        guard let parent = node.pointee.parent, parent.pointee.type == XML_ELEMENT_NODE else { return nil }
        return XMLNode(tree: tree, node: parent)
    }

    /// The value of an attribute; `namespace` nil means an unprefixed (no-namespace) attribute.
    public func attribute(_ name: String, namespace: String? = nil) -> String? {
        if let namespace {
            return LibXML.take(xmlGetNsProp(node, name, namespace))
        }
        return LibXML.take(xmlGetNoNsProp(node, name))
    }

    /// The first element child with this local name and namespace (nil namespace: no namespace).
    public func firstChild(_ localName: String, namespace: String?) -> XMLNode? {
        var found: XMLNode?
        forEachChild(localName, namespace: namespace) { child in
            found = child
            return false
        }
        return found
    }

    /// All element children with this local name and namespace (nil namespace: no namespace).
    public func children(_ localName: String, namespace: String?) -> [XMLNode] {
        var found: [XMLNode] = []
        forEachChild(localName, namespace: namespace) { child in
            found.append(child)
            return true
        }
        return found
    }

    /// Calls `body` for each element child with this local name and namespace, in document order, while it returns
    /// true. Compares libxml2's names in place (no String is made per child).
    private func forEachChild(_ localName: String, namespace: String?, _ body: (XMLNode) -> Bool) {
        localName.withCString { name in
            func visit(_ namespace: UnsafePointer<CChar>?) {
                var child = node.pointee.children
                while let current = child {
                    child = current.pointee.next
                    guard current.pointee.type == XML_ELEMENT_NODE, let currentName = current.pointee.name,
                        strcmp(UnsafeRawPointer(currentName).assumingMemoryBound(to: CChar.self), name) == 0
                    else { continue }
                    let href = current.pointee.ns?.pointee.href
                    switch (namespace, href) {
                    case (nil, nil): break
                    case (let wanted?, let found?):
                        guard strcmp(UnsafeRawPointer(found).assumingMemoryBound(to: CChar.self), wanted) == 0 else {
                            continue
                        }
                    default: continue
                    }
                    if !body(XMLNode(tree: tree, node: current)) { return }
                }
            }
            if let namespace {
                namespace.withCString { visit($0) }
            } else {
                visit(nil)
            }
        }
    }

    /// The element's path from the root by local names, e.g. `/SED/Envelope/SedId`, for error locations.
    public var path: String {
        var names: [String] = []
        var current: XMLNode? = self
        while let element = current {
            names.append(element.localName)
            current = element.parent
        }
        return "/" + names.reversed().joined(separator: "/")
    }
}
