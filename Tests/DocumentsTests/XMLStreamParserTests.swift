// XMLStreamParserTests: the streaming parser reports what the tree holds (names, lines, text, attributes), refuses
// every hostile or malformed input XMLTree refuses with the same error, and keeps working document after document.

import Documents
import SedgateCore
import Testing

/// What one element looks like to a reader: name, line, the attributes asked for, all the text below it.
private struct Seen: Equatable {
    var name: String
    var line: Int
    var attributes: [String?]
    var text: String
}

/// The attributes the tests ask every element for.
private let attributeNames: [(String, String?)] = [("id", nil), ("type", nil), ("lang", "urn:test:x")]

/// Records every element and the text below it, in document order.
private final class Recorder: XMLStreamHandler {
    var seen: [Seen] = []
    private var open: [(index: Int, start: Int)] = []
    private var text: [UInt8] = []

    func startElement(_ element: XMLStreamElement) {
        let attributes = attributeNames.map { element.attribute(XMLStreamName(local: $0.0, namespace: $0.1)) }
        seen.append(Seen(name: element.localNameText, line: element.line, attributes: attributes, text: ""))
        open.append((seen.count - 1, text.count))
    }

    func endElement() {
        let (index, start) = open.removeLast()
        seen[index].text = String(decoding: text[start...], as: UTF8.self)
    }

    func text(_ bytes: UnsafeBufferPointer<UInt8>) {
        text.append(contentsOf: bytes)
    }
}

/// The same record made from a parsed tree.
private func treeSeen(_ text: String) throws -> [Seen] {
    var seen: [Seen] = []
    func visit(_ node: XMLNode) {
        let attributes = attributeNames.map { node.attribute($0.0, namespace: $0.1) }
        seen.append(Seen(name: node.localName, line: node.line, attributes: attributes, text: node.text))
        for child in node.children { visit(child) }
    }
    visit(try XMLTree.parse(Array(text.utf8), source: "in/test.xml").root)
    return seen
}

private func streamSeen(_ text: String, parser: XMLStreamParser = XMLStreamParser()) throws -> [Seen] {
    let recorder = Recorder()
    try parser.parse(Array(text.utf8), source: "in/test.xml", into: recorder)
    return recorder.seen
}

private func errors(_ text: String, limits: XMLLimits = .default) -> (tree: SedgateError?, stream: SedgateError?) {
    let bytes = Array(text.utf8)
    var tree: SedgateError?
    do { _ = try XMLTree.parse(bytes, source: "in/test.xml", limits: limits) } catch { tree = error }
    var stream: SedgateError?
    do { try XMLStreamParser(limits: limits).parse(bytes, source: "in/test.xml", into: Recorder()) } catch {
        stream = error
    }
    return (tree, stream)
}

@Suite("XML stream parser")
struct XMLStreamParserTests {
    static let documents = [
        "<a/>",
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- a comment -->
        <r xmlns="urn:test:r" xmlns:x="urn:test:x" id="1">
          <p type="a &amp; b &lt; c &#38; d &#x26; e &quot;q&quot; &apos;s&apos;" x:lang="fr">Tom &amp; Jerry &#233;té</p>
          <p type="tab\there
        line" id='2'><![CDATA[<raw> & stuff]]> after <?pi data?>tail</p>
          <q><deep><deeper>one</deeper>two</deep></q>
          <empty/>
          <x:other lang="not namespaced">ÆØÅ 日本</x:other>
          <u:undeclared u:id="1" type="2"><u:lang>z</u:lang></u:undeclared>
        </r>
        """,
    ]

    @Test("names, lines, attributes and text are those of the tree")
    func sameAsTree() throws {
        for document in Self.documents {
            #expect(try streamSeen(document) == treeSeen(document))
        }
    }

    @Test("one parser reads document after document, also after a refused one")
    func reuse() throws {
        let parser = XMLStreamParser()
        for _ in 0..<3 {
            for document in Self.documents {
                #expect(try streamSeen(document, parser: parser) == treeSeen(document))
                #expect(throws: SedgateError.self) { try streamSeen("<a><b></a>", parser: parser) }
                #expect(throws: SedgateError.self) { try streamSeen("<!DOCTYPE r><r/>", parser: parser) }
            }
        }
    }

    @Test("a parser whose name dictionary outgrew its bound (documents of ever new names) goes on with a fresh one")
    func dictionaryBound() throws {
        let parser = XMLStreamParser()
        for round in 0..<3 {
            let names = (0..<60_000).map { "<n\(round)x\($0)/>" }.joined()
            #expect(try streamSeen("<r>\(names)</r>", parser: parser).count == 60_001)
            #expect(try streamSeen(Self.documents[1], parser: parser) == treeSeen(Self.documents[1]))
        }
    }

    @Test("hostile and malformed input is refused as the tree parser refuses it, with the same message and place")
    func refusesAsTree() throws {
        var laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol0 \"lol\">\n"
        for level in 1...9 {
            laughs += " <!ENTITY lol\(level) \"\(String(repeating: "&lol\(level - 1);", count: 10))\">\n"
        }
        laughs += "]>\n<lolz>&lol9;</lolz>"
        let cases: [(String, XMLLimits)] = [
            ("<a>\n  <b></c>\n</a>", .default),
            ("<huge><depth></huge>", .default),
            ("<a>\u{1}</a>", .default),
            ("", .default),
            ("<a>&undeclared;</a>", .default),
            ("<!DOCTYPE r [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n<r>&xxe;</r>", .default),
            (laughs, .default),
            ("<!DOCTYPE r>\n<r/>", .default),
            ("<!DOCTYPE r SYSTEM \"http://example.com/r.dtd\"><r/>", .default),
            (String(repeating: "<d>", count: 20) + String(repeating: "</d>", count: 20), XMLLimits(maxDepth: 10)),
            (String(repeating: "<d>", count: 300) + String(repeating: "</d>", count: 300), XMLLimits(maxDepth: 1000)),
            ("<a>" + String(repeating: "x", count: 2000) + "</a>", XMLLimits(maxBytes: 1000)),
            ("<r " + (0..<300).map { "a\($0)=\"1\"" }.joined(separator: " ") + "/>", .default),
            ("<r>" + String(repeating: "<a/>", count: 1_000) + "</r>", XMLLimits(maxNodes: 500)),
            ("<a/><b/>", .default),
            ("just text", .default),
        ]
        for (text, limits) in cases {
            let (tree, stream) = errors(text, limits: limits)
            let treeError = try #require(tree, "the tree parser accepts \(text.prefix(60))")
            let streamError = try #require(stream, "the stream parser accepts \(text.prefix(60))")
            #expect(streamError.code == treeError.code, "\(text.prefix(60))")
            #expect(streamError.message == treeError.message, "\(text.prefix(60))")
            #expect(streamError.location == treeError.location, "\(text.prefix(60))")
            #expect(!streamError.message.contains("root:"))
        }
    }

    @Test("a huge text node is delivered whole or refused, as the tree has it")
    func hugeText() throws {
        let length = 10_400_000
        let text = "<a>" + String(repeating: "QUJD", count: length / 4) + "</a>"
        let (tree, stream) = errors(text)
        #expect(tree?.code == stream?.code)
        if tree == nil { #expect(try streamSeen(text).first?.text.utf8.count == length) }
    }
}
