// SEDElement: what the flat writer reads from a SED's XML (children by name, text, attributes, and where an
// element is for messages): the walk the writer makes, apart from the tree it walks (libxml2's, through XMLTree).

import Documents

/// An element of a parsed SED, as the flat writer walks it.
protocol SEDElement {
    /// Whether the element is `local` in `namespace` (nil: no namespace).
    func isNamed(_ local: String, namespace: String?) -> Bool
    /// Calls `body` for each element child named `name`, in document order, while it returns true.
    func forEachChild(_ name: QName, _ body: (Self) -> Bool)
    /// The concatenated text of the element and its descendants.
    var text: String { get }
    /// The value of an attribute (`namespace` nil: an unprefixed attribute).
    func attribute(_ local: String, namespace: String?) -> String?
    /// The 1-based line of the element, for messages.
    var line: Int { get }
    /// The element's path by local names (`/SED/Content/Claim`), for messages.
    var path: String { get }
}

extension SEDElement {
    /// The first child element with this name.
    func child(_ name: QName) -> Self? {
        var found: Self?
        forEachChild(name) { child in
            found = child
            return false
        }
        return found
    }

    /// The node at the end of `steps`, or nil where an element is missing.
    func descendant(_ steps: [QName]) -> Self? {
        var current: Self? = self
        for step in steps { current = current?.child(step) }
        return current
    }

    /// Every element at the end of `steps` (the last step may repeat), in document order.
    func all(_ steps: [QName]) -> [Self] {
        guard let last = steps.last, let parent = descendant(Array(steps.dropLast())) else { return [] }
        var found: [Self] = []
        parent.forEachChild(last) { child in
            found.append(child)
            return true
        }
        return found
    }

    /// The value at `path`: the element's text or the attribute; nil when absent.
    func value(at path: ElementPath) -> (value: String, node: Self)? {
        guard let node = descendant(path.steps) else { return nil }
        if let attribute = path.attribute {
            return node.attribute(attribute.local, namespace: attribute.namespace).map { ($0, node) }
        }
        return (node.text, node)
    }
}

extension XMLNode: SEDElement {
    func isNamed(_ local: String, namespace: String?) -> Bool {
        localName == local && namespaceURI == namespace
    }

    func forEachChild(_ name: QName, _ body: (XMLNode) -> Bool) {
        for child in children(name.local, namespace: name.namespace) where !body(child) { return }
    }
}
