// XOPTests: externalizing base64 content to attachments and inlining it again gives back the exact bytes a
// signature was computed over; a missing part or non-canonical base64 is refused.

import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing

@Suite("XOP")
struct XOPTests {
    static let first = TestBytes.random(3_000, seed: 11)
    static let second = TestBytes.random(1, seed: 12)

    /// An envelope with the traps a byte-level splice must survive: comments and CDATA holding tags, '>' inside
    /// attribute values, the XML Encryption namespace under two prefixes and as a default namespace, and a
    /// CipherValue in another namespace that must stay.
    static let envelope = Data(
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- <xenc:CipherValue>not an element</xenc:CipherValue> -->
        <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" \
        xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" note="a > b">
          <soap:Header><x:CipherValue xmlns:x="urn:other">QUJD</x:CipherValue></soap:Header>
          <soap:Body>
            <xenc:EncryptedData Id='ed1' Type="http://www.w3.org/2001/04/xmlenc#Content">
              <xenc:CipherData><xenc:CipherValue>\(first.base64EncodedString())</xenc:CipherValue></xenc:CipherData>
            </xenc:EncryptedData>
            <![CDATA[ <xenc:CipherValue>AAAA</xenc:CipherValue> ]]>
            <e:EncryptedKey xmlns:e="http://www.w3.org/2001/04/xmlenc#"><e:CipherData><e:CipherValue \
        >\(second.base64EncodedString())</e:CipherValue></e:CipherData></e:EncryptedKey>
            <EncryptedData xmlns="http://www.w3.org/2001/04/xmlenc#"><CipherData><CipherValue/></CipherData></EncryptedData>
          </soap:Body>
        </soap:Envelope>

        """.utf8)

    @Test("inline(externalize(x)) is x byte for byte, and the attachments hold the decoded bytes")
    func roundTrip() throws {
        let result = try XOP.externalize(xml: Self.envelope, elements: .cipherValues)
        #expect(result.attachments.count == 2)
        #expect(result.attachments.map(\.body) == [.data(Self.first), .data(Self.second)])
        let text = String(decoding: result.xml, as: UTF8.self)
        #expect(!text.contains(Self.first.base64EncodedString()))
        #expect(text.contains("<x:CipherValue xmlns:x=\"urn:other\">QUJD</x:CipherValue>"))
        #expect(text.contains("<xenc:CipherValue>AAAA</xenc:CipherValue>"))
        #expect(text.contains("<CipherValue/>"))
        let id = result.attachments[0].contentID
        #expect(text.contains("<xenc:CipherValue><xop:Include xmlns:xop=\"\(XOP.namespace)\" href=\"cid:\(id)\"/>"))

        var parts: [String: Data] = [:]
        for attachment in result.attachments {
            guard case .data(let data) = attachment.body else { continue }
            parts[attachment.contentID] = data
        }
        let inline = try XOP.inline(xml: result.xml) { parts[$0] }
        #expect(inline == Self.envelope)
    }

    @Test("the inline form survives the whole MTOM trip: externalize, write, read, inline")
    func throughMTOM() throws {
        let folder = try TemporaryDirectory("xop-mtom")
        let result = try XOP.externalize(xml: Self.envelope, elements: .cipherValues) { "cv\($0)@sedgate" }
        let written = try MTOMWriter.write(
            root: result.xml, attachments: result.attachments, to: folder.appending("m.mime"))
        let message = try MTOMReader().read(file: written.path, contentType: written.contentType)
        #expect(message.attachments.map(\.contentID) == ["cv0@sedgate", "cv1@sedgate"])
        #expect(try XOP.inline(message) == Self.envelope)
    }

    @Test("an xop:Include whose cid names no part is refused, naming the cid")
    func missingPart() {
        let xml = Data(
            """
            <a xmlns:xop="http://www.w3.org/2004/08/xop/include"><b><xop:Include href="cid:gone%40x"/></b></a>
            """.utf8)
        let error = #expect(throws: SedgateError.self) { try XOP.inline(xml: xml) { _ in nil } }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("cid:gone@x") == true)
        let notCID = Data(
            #"<a xmlns:xop="http://www.w3.org/2004/08/xop/include"><xop:Include href="http://x"/></a>"#.utf8)
        let other = #expect(throws: SedgateError.self) { try XOP.inline(xml: notCID) { _ in Data() } }
        #expect(other?.message.contains("not a cid: URL") == true)
    }

    @Test("base64 with line breaks is refused by default, because it cannot be restored byte for byte")
    func nonCanonical() throws {
        let wrapped = Self.first.base64EncodedString(options: .lineLength64Characters)
        let xml = Data("<c:CipherValue xmlns:c=\"\(XOP.xmlEncryptionNamespace)\">\(wrapped)</c:CipherValue>".utf8)
        let error = #expect(throws: SedgateError.self) { try XOP.externalize(xml: xml, elements: .cipherValues) }
        #expect(error?.message.contains("canonical base64") == true)
        let kept = try XOP.externalize(xml: xml, elements: .cipherValues, nonCanonical: .keepInline)
        #expect(kept.xml == xml)
        #expect(kept.attachments.isEmpty)
    }

    @Test("elements are selected by namespace and local name, and a selected element with children is refused")
    func selection() throws {
        let xml = Data("<r xmlns:p=\"urn:p\"><p:blob>AQID</p:blob><blob>BAUG</blob><p:blob><x/></p:blob></r>".utf8)
        let error = #expect(throws: SedgateError.self) {
            try XOP.externalize(xml: xml, elements: .elements(named: "blob", namespace: "urn:p"))
        }
        #expect(error?.message.contains("child elements") == true)
        let plain = try XOP.externalize(xml: xml, elements: .elements(named: "blob", namespace: nil))
        #expect(plain.attachments.map(\.body) == [.data(Data([4, 5, 6]))])
    }

    @Test("a hostile document is refused before anything is spliced")
    func hostile() {
        let xml = Data("<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>".utf8)
        let error = #expect(throws: SedgateError.self) { try XOP.externalize(xml: xml, elements: .cipherValues) }
        #expect(error?.code == .hostileInput)
    }
}
