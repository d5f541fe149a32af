// SEDStream: the values the flat writer needs from one SED, read while libxml2 streams the document
// (XMLStreamParser), without a tree. The mapping's element paths are compiled once into a small trie; each element
// read either follows an edge of an open trie node or is skipped with everything below it. The walk is the
// tree walk's (SEDElement): the first child of a name at each step, every child for the last step of a repeated
// record, an element's text being all the text below it; SEDValues(tree:plan:) is that walk, kept as the
// reference the stream is tested against.

import Documents
import SedgateCore

/// A value found in a SED for one binding: the element's text or the attribute, and where it was, for messages.
struct FoundValue {
    let text: String
    let line: Int
    let path: String
}

/// What the flat writer reads from SEDs: the content root, the bindings of each chain record (under the content
/// root), and each repeated record's element path with its bindings (under each repeated element).
struct SEDReadPlan {
    let contentRoot: QName
    /// By chain level: the paths of that record's bindings, in the writer's order.
    let chain: [[ElementPath]]
    /// By repeated record: the path of its elements (the last step repeats) and its bindings under each.
    let repeated: [(steps: [QName], paths: [ElementPath])]
}

/// The values of one SED, by binding, with what is needed to refuse a document that is not a SED of the mapping.
struct SEDValues {
    /// The root element: its line and path, and whether it is `<SED>` with a `<Content>`.
    var root: (line: Int, path: String, isSED: Bool) = (0, "/", false)
    /// The `<Content>` element, when there is one (the first).
    var content: (line: Int, path: String)?
    /// Whether the content holds the mapping's content root.
    var hasBase = false
    /// By chain level and binding: the value found, nil where the element or attribute is absent.
    var chain: [[FoundValue?]]
    /// By repeated record: one entry per element found, in document order, each by binding.
    var repeated: [[[FoundValue?]]]

    init(plan: SEDReadPlan) {
        chain = plan.chain.map { [FoundValue?](repeating: nil, count: $0.count) }
        repeated = Array(repeating: [], count: plan.repeated.count)
    }

    private static let content = QName(prefix: nil, local: "Content", namespace: EnvelopeXML.namespace)

    /// The values as a walk of a parsed tree finds them.
    init<Element: SEDElement>(tree root: Element, plan: SEDReadPlan) {
        self.init(plan: plan)
        let isSED = root.isNamed("SED", namespace: EnvelopeXML.namespace)
        let content = isSED ? root.child(Self.content) : nil
        self.root = (root.line, root.path, isSED && content != nil)
        guard let content else { return }
        self.content = (content.line, content.path)
        guard let base = content.child(plan.contentRoot) else { return }
        hasBase = true
        func found(_ paths: [ElementPath], under element: Element) -> [FoundValue?] {
            paths.map { path in
                element.value(at: path).map { FoundValue(text: $0.value, line: $0.node.line, path: $0.node.path) }
            }
        }
        for (level, paths) in plan.chain.enumerated() { chain[level] = found(paths, under: base) }
        for (index, entry) in plan.repeated.enumerated() {
            repeated[index] = base.all(entry.steps).map { found(entry.paths, under: $0) }
        }
    }
}

/// Reads SEDs with an `XMLStreamParser` into `SEDValues`, one document after another.
final class SEDStreamReader: XMLStreamHandler {
    private let parser = XMLStreamParser()
    /// All that changes while reading, in one struct. Only the parser's callbacks touch it, one at a time on the
    /// reading thread, so the per-access exclusivity check (a thread-local look-up per event) is left out.
    @exclusivity(unchecked) private var walk: SEDWalk

    init(plan: SEDReadPlan) {
        walk = SEDWalk(plan: plan)
    }

    /// Parses `bytes` (named `source` in errors) and returns the values the plan asks for.
    func read(_ bytes: [UInt8], source: String) throws(SedgateError) -> SEDValues {
        walk.reset()
        try parser.parse(bytes, source: source, into: self)
        return walk.values
    }

    func startElement(_ element: XMLStreamElement) { walk.start(element) }
    func endElement() { walk.end() }
    func text(_ bytes: UnsafeBufferPointer<UInt8>) { walk.text(bytes) }
}

/// The walk of one SED's elements through the trie of the plan's paths.
private struct SEDWalk {
    /// A trie node: an element reached by a path from the root.
    struct Node {
        let name: XMLStreamName
        /// Every matching child is taken (a repeated record's element), not only the first.
        let each: Bool
        /// The element's path by local names, for messages.
        let path: String
        var children: [Int] = []
        /// The repeated record an element here starts (an entry of `SEDValues.repeated`).
        var opens: Int?
        /// Where the element's text goes, and where its attributes go.
        var texts: [Target] = []
        var attributes: [(name: XMLStreamName, target: Target)] = []
    }

    /// A binding's slot: a chain level's binding (`repeated` nil) or the current element's of a repeated record.
    struct Target {
        let repeated: Int?
        let level: Int
        let position: Int
    }

    static let root = 0
    static let content = 1
    static let base = 2

    let plan: SEDReadPlan
    let nodes: [Node]
    private(set) var values: SEDValues
    private var depth = 0
    /// The trie nodes the open elements reached, level by level (`levels` holds each level's start in `active`).
    private var active: [Int] = []
    private var levels: [Int] = []
    /// By node: whether its first-only element was taken under the current parent; its text's start; its line.
    private var taken: [Bool]
    private var textStart: [Int]
    private var lines: [Int]
    /// The text of the open elements that collect text (a nested one's is a suffix of its parent's).
    private var text: [UInt8] = []
    private var collecting = 0

    init(plan: SEDReadPlan) {
        self.plan = plan
        values = SEDValues(plan: plan)
        var nodes = [
            Node(name: XMLStreamName(local: "SED", namespace: EnvelopeXML.namespace), each: false, path: "/SED")
        ]
        /// The child of `parent` named `name`: the existing first-only one, or a new one.
        func child(of parent: Int, _ name: QName, each: Bool) -> Int {
            let streamName = XMLStreamName(local: name.local, namespace: name.namespace)
            if !each,
                let found = nodes[parent].children.first(where: { !nodes[$0].each && nodes[$0].name == streamName })
            {
                return found
            }
            nodes.append(Node(name: streamName, each: each, path: nodes[parent].path + "/" + name.local))
            nodes[parent].children.append(nodes.count - 1)
            return nodes.count - 1
        }
        func bind(_ path: ElementPath, from start: Int, to target: Target) {
            let node = path.steps.reduce(start) { child(of: $0, $1, each: false) }
            if let attribute = path.attribute {
                nodes[node].attributes.append(
                    (XMLStreamName(local: attribute.local, namespace: attribute.namespace), target))
            } else {
                nodes[node].texts.append(target)
            }
        }
        _ = child(of: Self.root, QName(prefix: nil, local: "Content", namespace: EnvelopeXML.namespace), each: false)
        _ = child(of: Self.content, plan.contentRoot, each: false)
        for (level, paths) in plan.chain.enumerated() {
            for (position, path) in paths.enumerated() {
                bind(path, from: Self.base, to: Target(repeated: nil, level: level, position: position))
            }
        }
        for (index, entry) in plan.repeated.enumerated() {
            guard let last = entry.steps.last else { continue }
            let parent = entry.steps.dropLast().reduce(Self.base) { child(of: $0, $1, each: false) }
            let element = child(of: parent, last, each: true)
            nodes[element].opens = index
            for (position, path) in entry.paths.enumerated() {
                bind(path, from: element, to: Target(repeated: index, level: 0, position: position))
            }
        }
        self.nodes = nodes
        taken = Array(repeating: false, count: nodes.count)
        textStart = Array(repeating: 0, count: nodes.count)
        lines = Array(repeating: 0, count: nodes.count)
    }

    /// Forgets the previous document.
    mutating func reset() {
        values = SEDValues(plan: plan)
        depth = 0
        active.removeAll(keepingCapacity: true)
        levels.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        collecting = 0
    }

    mutating func start(_ element: XMLStreamElement) {
        depth += 1
        let start = active.count
        if depth == 1 {
            values.root = (element.line, "/" + element.localNameText, false)
            if element.isNamed(nodes[Self.root].name) { enter(Self.root, element) }
        } else if let parentStart = levels.last {
            for index in parentStart..<start {
                for child in nodes[active[index]].children where element.isNamed(nodes[child].name) {
                    if nodes[child].each {
                        enter(child, element)
                    } else if !taken[child] {
                        taken[child] = true
                        enter(child, element)
                    }
                }
            }
        }
        levels.append(start)
    }

    /// An element reached trie node `node`.
    private mutating func enter(_ node: Int, _ element: XMLStreamElement) {
        active.append(node)
        for child in nodes[node].children { taken[child] = false }
        switch node {
        case Self.content:
            values.content = (element.line, nodes[node].path)
            values.root.isSED = true
        case Self.base: values.hasBase = true
        default: break
        }
        if let repeated = nodes[node].opens {
            values.repeated[repeated].append(Array(repeating: nil, count: plan.repeated[repeated].paths.count))
        }
        for (name, target) in nodes[node].attributes {
            guard let value = element.attribute(name) else { continue }
            store(FoundValue(text: value, line: element.line, path: nodes[node].path), at: target)
        }
        if !nodes[node].texts.isEmpty {
            textStart[node] = text.count
            lines[node] = element.line
            collecting += 1
        }
    }

    mutating func end() {
        guard let start = levels.popLast() else { return }
        for index in start..<active.count {
            let node = active[index]
            guard !nodes[node].texts.isEmpty else { continue }
            let value = FoundValue(
                text: String(decoding: text[textStart[node]...], as: UTF8.self), line: lines[node],
                path: nodes[node].path)
            for target in nodes[node].texts { store(value, at: target) }
            collecting -= 1
        }
        active.removeSubrange(start...)
        if collecting == 0 { text.removeAll(keepingCapacity: true) }
        depth -= 1
    }

    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        if collecting > 0 { text.append(contentsOf: bytes) }
    }

    private mutating func store(_ value: FoundValue, at target: Target) {
        if let repeated = target.repeated {
            let last = values.repeated[repeated].count - 1
            values.repeated[repeated][last][target.position] = value
        } else {
            values.chain[target.level][target.position] = value
        }
    }
}
