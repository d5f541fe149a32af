// CompactXMLTreeTests: the flat writer's own XML reader gives what libxml2 gives (elements, namespaces, text,
// attributes, lines, paths) for every document it accepts, and declines every document libxml2 refuses.

import Documents
import Foundation
import SedgateCore
import Testing

@testable import Conversion

@Suite("CompactXMLTree")
struct CompactXMLTreeTests {
    static let attributeNames: [(String, String?)] = [
        ("type", nil), ("id", nil), ("type", "urn:x"), ("id", "urn:x"), ("v", nil), ("v", "urn:y"),
    ]

    /// Checks that both readers see the same tree under `a` and `b`.
    static func expectSame(_ a: XMLNode, _ b: CompactXMLTree.Node) {
        #expect(b.isNamed(a.localName, namespace: a.namespaceURI), "\(a.path)")
        #expect(b.text == a.text, "text of \(a.path)")
        #expect(b.line == a.line, "line of \(a.path)")
        #expect(b.path == a.path)
        for (name, namespace) in attributeNames {
            #expect(b.attribute(name, namespace: namespace) == a.attribute(name, namespace: namespace), "\(a.path)")
        }
        let left = a.children
        let right = b.children
        #expect(left.count == right.count, "children of \(a.path)")
        for (x, y) in zip(left, right) { expectSame(x, y) }
    }

    /// Parses `document` both ways; true when the compact reader accepted it (and then gave the same tree).
    @discardableResult
    static func compare(_ document: [UInt8]) throws -> Bool {
        let compact = CompactXMLTree()
        guard compact.parse(document) else { return false }
        let tree = try XMLTree.parse(document, source: "test.xml")
        expectSame(tree.root, compact.root)
        return true
    }

    @Test("every golden SED is read as libxml2 reads it")
    func goldenDocuments() throws {
        var count = 0
        for mapping in ["ae-claims", "ub-periods"] {
            let directory = Support.fixtures + "/\(mapping)/expected"
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".xml") {
                #expect(try Self.compare(Support.bytes(directory + "/" + name)), "\(name) taken by the fast reader")
                count += 1
            }
        }
        #expect(count > 0)
    }

    @Test(
        "tricky documents it accepts give the same tree",
        arguments: [
            #"<a>x &amp; &lt;y&gt; &quot;z&quot; &apos;w&apos; &#233; &#x1F600; &#10;</a>"#,
            #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<r xmlns='urn:x'><a type='1' id=\"&lt;&amp;&gt;\"/></r>\n",
            #"<r xmlns:p="urn:x" xmlns:q="urn:x"><p:a p:type="1" type="2"/><q:a q:id="3"/></r>"#,
            #"<r xmlns="urn:x"><a xmlns=""><b v="1"/></a><c/></r>"#,
            "<r>\n  Müller 日本 😀\n  <a>one<b>two</b>three</a >\n</r >",
            "<r\n  v=\"1\"\n  type=\"t\"\n>\n<a\n/>\n</r>",
            #"<r xmlns:y="urn:y"><a y:v="1" v="2"/><a xmlns:y="urn:x" y:v="3"/></r>"#,
            "<r>\u{80}\u{9F}\u{10FFFF}\u{FFFD}\t]] ]></r>",
            "<r/>",
        ])
    func tricky(_ text: String) throws {
        #expect(try Self.compare(Array(text.utf8)))
    }

    @Test(
        "documents libxml2 refuses are declined",
        arguments: [
            "", "<a>", "<a></b>", "<a>&bogus;</a>", #"<a x="1" x="2"/>"#, #"<a x="1"y="2"/>"#,
            "<a>]]></a>", "<a>\u{1}</a>", "<a>&#0;</a>", "<a>&#xD800;</a>", "<a>&#x110000;</a>", "<a/>text",
            "<a/><b/>", "<a b=1/>", #"<a b="<"/>"#, "< a/>", "<a>&amp</a>", #"<a xmlns:p="u" xmlns:p="v"/>"#,
            #"<?xml version="1.0"?><?xml version="1.0"?><a/>"#, " <?xml version=\"1.0\"?><a/>",
        ])
    func malformed(_ text: String) throws {
        let bytes = Array(text.utf8)
        #expect(!CompactXMLTree().parse(bytes))
        #expect(throws: SedgateError.self) { try XMLTree.parse(bytes, source: "bad.xml") }
    }

    @Test(
        "invalid UTF-8 is declined",
        arguments: [
            [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xFF], [0xE2, 0x82], [0xEF, 0xBF, 0xBE], [0xF4, 0x90, 0x80, 0x80],
        ]
            as [[UInt8]])
    func invalidUTF8(_ sequence: [UInt8]) throws {
        let bytes = Array("<a>".utf8) + sequence + Array("</a>".utf8)
        #expect(!CompactXMLTree().parse(bytes))
        #expect(throws: SedgateError.self) { try XMLTree.parse(bytes, source: "bad.xml") }
    }

    @Test(
        "what it leaves to libxml2 is declined",
        arguments: [
            "<a><!-- note --></a>", "<a><![CDATA[x]]></a>", "<a>\r\n</a>", "<?xml version=\"1.0\"?><a/>",
            "<a><?pi x?></a>", "<a v=\"x\ty\"/>", "<é/>", "<a xml:lang=\"en\"/>",
        ])
    func leftToLibXML(_ text: String) throws {
        let bytes = Array(text.utf8)
        #expect(!CompactXMLTree().parse(bytes))
        _ = try XMLTree.parse(bytes, source: "fine.xml")
    }

    @Test(
        "namespace errors libxml2 only reports are declined",
        arguments: [
            "<p:a/>", #"<a xmlns:p=""/>"#, "<a:b:c/>", #"<r xmlns:p="urn:x" xmlns:q="urn:x"><a p:v="1" q:v="2"/></r>"#,
        ])
    func namespaceErrors(_ text: String) {
        #expect(!CompactXMLTree().parse(Array(text.utf8)))
    }

    @Test("a document over its limits is declined, so that libxml2 refuses it")
    func limits() {
        let document = Array(#"<a><b x="1" y="2"><c/></b></a>"#.utf8)
        #expect(CompactXMLTree().parse(document))
        #expect(!CompactXMLTree().parse(document, limits: XMLLimits(maxDepth: 2)))
        #expect(!CompactXMLTree().parse(document, limits: XMLLimits(maxAttributes: 1)))
        #expect(!CompactXMLTree().parse(document, limits: XMLLimits(maxNodes: 5)))
        #expect(!CompactXMLTree().parse(document, limits: XMLLimits(maxBytes: 10)))
    }

    @Test("a SED libxml2 reads because of a comment and CRLF line ends writes the same flat file")
    func slowPathSameFlat() throws {
        let mapping = try Support.mapping("ae-claims-1")
        let directory = Support.fixtures + "/ae-claims/expected"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".xml") }
            .sorted()
        let plain = try names.map { try Support.bytes(directory + "/" + $0) }
        let dressed = plain.map { document -> [UInt8] in
            var text = String(decoding: document, as: UTF8.self)
            text = text.replacingOccurrences(of: "\n", with: "\r\n")
            text = text.replacingOccurrences(of: "<Content>", with: "<Content><!-- via libxml2 -->")
            return Array(text.utf8)
        }
        let fast = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: plain).bytes
        let slow = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: dressed).bytes
        #expect(fast == slow)
        #expect(!fast.isEmpty)
    }
}
