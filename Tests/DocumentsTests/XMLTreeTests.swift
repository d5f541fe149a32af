// XMLTreeTests: safe parsing accepts ordinary XML and refuses malformed and hostile input with a located error.

import Documents
import SedgateCore
import Testing

/// Parses `text` and returns the error it throws, or nil when it parses.
private func parseError(_ text: String, limits: XMLLimits = .default) -> SedgateError? {
    do {
        _ = try XMLTree.parse(Array(text.utf8), source: "in/test.xml", limits: limits)
        return nil
    } catch {
        return error
    }
}

@Test("a well-formed document gives names, namespaces, lines, text, attributes and paths")
func parsesWellFormedDocument() throws {
    let xml = """
        <?xml version="1.0"?>
        <a:Root xmlns:a="urn:a" id="r1">
          <a:Item kind='x'>one <![CDATA[& two]]> &amp; three&#x21;</a:Item>
          <!-- a comment -->
          <Plain a:lang="fr">text</Plain>
        </a:Root>
        """
    let tree = try XMLTree.parse(Array(xml.utf8), source: "t.xml")
    let root = tree.root
    #expect(root.localName == "Root")
    #expect(root.namespaceURI == "urn:a")
    #expect(root.attribute("id") == "r1")
    #expect(root.children.map(\.localName) == ["Item", "Plain"])
    let item = try #require(root.firstChild("Item", namespace: "urn:a"))
    #expect(item.line == 3)
    #expect(item.text == "one & two & three!")
    #expect(item.attribute("kind") == "x")
    #expect(item.path == "/Root/Item")
    let plain = try #require(root.firstChild("Plain", namespace: nil))
    #expect(plain.attribute("lang", namespace: "urn:a") == "fr")
    #expect(plain.attribute("lang") == nil)
    #expect(root.children("Item", namespace: nil).isEmpty)
}

@Test("malformed XML is refused with the line and column of the fault")
func malformedHasLocation() throws {
    let error = try #require(parseError("<a>\n  <b></c>\n</a>"))
    #expect(error.code == .malformedXML)
    #expect(error.location?.file == "in/test.xml")
    #expect(error.location?.line == 2)
    #expect(error.location?.column != nil)
    // An element name that happens to be a limit word is still just malformed.
    #expect(parseError("<huge><depth></huge>")?.code == .malformedXML)
}

@Test("bytes that are illegal in XML are malformed input")
func illegalBytes() throws {
    #expect(parseError("<a>\u{1}</a>")?.code == .malformedXML)
    var bytes = Array("<a>x</a>".utf8)
    bytes.insert(0xFF, at: 3)
    #expect {
        _ = try XMLTree.parse(bytes, source: "x")
    } throws: { error in
        (error as? SedgateError)?.code == .malformedXML
    }
    #expect(parseError("")?.code == .malformedXML)
}

@Test("an external entity pointing at /etc/passwd is refused as hostile")
func refusesXXE() throws {
    let xml = """
        <?xml version="1.0"?>
        <!DOCTYPE r [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
        <r>&xxe;</r>
        """
    let error = try #require(parseError(xml))
    #expect(error.code == .hostileInput)
    #expect(!error.message.contains("root:"))
}

@Test("a billion-laughs entity bomb is refused as hostile")
func refusesEntityBomb() throws {
    var xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol0 \"lol\">\n"
    for level in 1...9 {
        let previous = String(repeating: "&lol\(level - 1);", count: 10)
        xml += " <!ENTITY lol\(level) \"\(previous)\">\n"
    }
    xml += "]>\n<lolz>&lol9;</lolz>"
    #expect(parseError(xml)?.code == .hostileInput)
}

@Test("any DOCTYPE, even a harmless one, is refused as hostile")
func refusesAnyDoctype() throws {
    #expect(parseError("<!DOCTYPE r>\n<r/>")?.code == .hostileInput)
    #expect(parseError("<!DOCTYPE r SYSTEM \"http://example.com/r.dtd\"><r/>")?.code == .hostileInput)
}

@Test("nesting deeper than the limit is refused as hostile, with the element path")
func refusesOverDepth() throws {
    let deep = String(repeating: "<d>", count: 20) + String(repeating: "</d>", count: 20)
    let error = try #require(parseError(deep, limits: XMLLimits(maxDepth: 10)))
    #expect(error.code == .hostileInput)
    #expect(error.location?.field?.hasPrefix("/d/d/d") == true)
    #expect(parseError(deep, limits: XMLLimits(maxDepth: 20)) == nil)
    // Beyond libxml2's own limit of 256 the parser itself stops; that is still hostile, not malformed.
    let deeper = String(repeating: "<d>", count: 300) + String(repeating: "</d>", count: 300)
    #expect(parseError(deeper, limits: XMLLimits(maxDepth: 1000))?.code == .hostileInput)
}

@Test("a document over the byte limit is refused as hostile before parsing")
func refusesOverSize() throws {
    let big = "<a>" + String(repeating: "x", count: 2000) + "</a>"
    #expect(parseError(big, limits: XMLLimits(maxBytes: 1000))?.code == .hostileInput)
    #expect(parseError(big, limits: XMLLimits(maxBytes: 4000)) == nil)
}

@Test("xmlEscaped escapes the five XML special characters")
func escaping() {
    #expect("a<b>&\"c'".xmlEscaped == "a&lt;b&gt;&amp;&quot;c&apos;")
    #expect("plain ÆØÅ".xmlEscaped == "plain ÆØÅ")
}

@Test("a text node over libxml2's 10 MB text limit is either kept whole or refused, never silently cut short")
func hugeTextNodeIsWholeOrRefused() throws {
    let length = 10_400_000
    let bytes = Array(("<a>" + String(repeating: "QUJD", count: length / 4) + "</a>").utf8)
    do {
        let tree = try XMLTree.parse(bytes, source: "big.xml")
        let count = tree.root.text.utf8.count
        #expect(count == length, "text came back with \(count) bytes")
    } catch {
        #expect(error.code == .hostileInput)
    }
}

@Test("an attribute-count bomb (200,000 attributes on one element) is refused as hostile before libxml2 parses it")
func attributeBomb() throws {
    let attributes = (0..<200_000).map { "a\($0)=\"1\"" }.joined(separator: " ")
    let error = try #require(parseError("<r \(attributes)/>"))
    #expect(error.code == .hostileInput)
    #expect(error.message.contains("more than 256 attributes"))
    #expect(error.location?.line == 1)
}

@Test("attributes are counted per element, outside quoted values, comments and CDATA; 256 on one element parse")
func attributeCounting() throws {
    let many = (0..<256).map { "a\($0)='x=y>z'" }.joined(separator: " ")
    let noise = "<!-- a=1 b=2 c=3 --><![CDATA[ d=4 e=5 ]]><?pi f=6 g=7?>"
    #expect(parseError("<r \(many)>\(noise)<c x=\"1\" y=\"2\"/></r>") == nil)
    #expect(parseError("<r \(many)>\(noise)</r>", limits: XMLLimits(maxAttributes: 255))?.code == .hostileInput)
    // Only the element over the limit matters, wherever it is; its line is named.
    let error = try #require(
        parseError("<r>\n<ok a='1'/>\n<bad a='1' b='2' c='3'/></r>", limits: XMLLimits(maxAttributes: 2)))
    #expect(error.location?.line == 3)
}

@Test("a document with more markup nodes than the limit is refused as hostile")
func nodeBomb() throws {
    let text = "<r>" + String(repeating: "<a/>", count: 1_000) + "</r>"
    #expect(parseError(text, limits: XMLLimits(maxNodes: 2_000)) == nil)
    #expect(parseError(text, limits: XMLLimits(maxNodes: 500))?.code == .hostileInput)
}
