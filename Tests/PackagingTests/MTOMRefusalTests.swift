// MTOMRefusalTests: messages that are not MTOM, incomplete, ambiguous or oversized are refused with errors that
// say which part and what is wrong; the writer refuses attachments that would forge MIME structure.

import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing

@Suite("MTOM refusals")
struct MTOMRefusalTests {
    func refusal(_ data: Data, contentType: String?, reader: MTOMReader = MTOMReader()) -> SedgateError? {
        #expect(throws: SedgateError.self) { try reader.read(data: data, contentType: contentType) }
    }

    @Test("a body that is not multipart, or multipart without a boundary, is refused")
    func notMultipart() {
        let fixture = MIMEFixture.basic()
        let xml = refusal(fixture.bytes, contentType: "application/soap+xml; charset=utf-8")
        #expect(xml?.code == .protocolViolation)
        #expect(xml?.message.contains("not multipart") == true)
        let noBoundary = refusal(fixture.bytes, contentType: "multipart/related; type=\"application/xop+xml\"")
        #expect(noBoundary?.message.contains("no boundary") == true)
        let noDelimiterLine = refusal(Data("<soap:Envelope/>".utf8), contentType: nil)
        #expect(noDelimiterLine?.message.contains("does not start with a '--boundary' line") == true)
        let wrongBoundary = refusal(fixture.bytes, contentType: "multipart/related; boundary=other")
        #expect(wrongBoundary?.message.contains("--other does not occur") == true)
    }

    @Test("a message whose start part is absent, or that has no parts, is refused")
    func missingRoot() {
        var fixture = MIMEFixture()
        fixture.add(id: "other@test", Data("<x/>".utf8))
        let missing = refusal(fixture.bytes, contentType: fixture.contentType)
        #expect(missing?.code == .protocolViolation)
        #expect(missing?.message.contains("<root@test> as the root part") == true)
        let empty = refusal(
            Data("--test-boundary-42--\r\n".utf8), contentType: "multipart/related; boundary=test-boundary-42")
        #expect(empty?.message.contains("no parts") == true)
    }

    @Test("a part without Content-ID is refused, naming the part")
    func missingContentID() {
        var fixture = MIMEFixture.basic()
        fixture.parts[1].headers = ["Content-Type: application/octet-stream"]
        let error = refusal(fixture.bytes, contentType: fixture.contentType)
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("part 2") == true)
        #expect(error?.message.contains("no Content-ID") == true)
    }

    @Test("two parts with the same Content-ID are refused, naming both")
    func duplicateContentID() {
        var fixture = MIMEFixture.basic()
        fixture.add(id: "a@test", Data("again".utf8))
        let error = refusal(fixture.bytes, contentType: fixture.contentType)
        #expect(error?.message.contains("parts 2 and 3 both have Content-ID <a@test>") == true)
    }

    @Test("a header block longer than 16 KiB is refused as hostile, even when it never ends")
    func longHeaders() {
        var fixture = MIMEFixture.basic()
        fixture.parts[1].headers.append("X-Padding: " + String(repeating: "p", count: 17_000))
        let error = refusal(fixture.bytes, contentType: fixture.contentType, reader: MTOMReader(chunkSize: 1_000))
        #expect(error?.code == .hostileInput)
        #expect(error?.message.contains("headers of part 2") == true)
        let endless = Data("--b\r\nX: ".utf8) + Data(repeating: 0x61, count: 40_000)
        #expect(refusal(endless, contentType: nil)?.code == .hostileInput)
    }

    @Test("a message cut short anywhere before its closing delimiter is refused as truncated")
    func truncated() throws {
        let full = MIMEFixture.basic(attachment: TestBytes.random(5_000, seed: 4)).bytes
        let closing = Data("\r\n--test-boundary-42--\r\n".utf8)
        for cut in [full.count - closing.count, full.count - closing.count + 20, full.count - 10, 3_000, 120, 60] {
            let error = refusal(full.prefix(cut), contentType: MIMEFixture().contentType)
            #expect(error?.code == .protocolViolation, "cut at \(cut)")
            #expect(error?.message.contains("cut short") == true, "cut at \(cut): \(String(describing: error))")
        }
    }

    @Test("a root part over the limit is refused as hostile input")
    func rootTooLarge() {
        var fixture = MIMEFixture()
        fixture.add(id: "root@test", Data(repeating: 0x20, count: 2_000))
        let reader = MTOMReader(limits: MTOMLimits(maxRootBytes: 1_000))
        let error = refusal(fixture.bytes, contentType: fixture.contentType, reader: reader)
        #expect(error?.code == .hostileInput)
        #expect(error?.message.contains("2000 bytes") == true)
    }

    @Test("a transfer encoding other than binary is refused")
    func base64TransferEncoding() {
        var fixture = MIMEFixture.basic()
        fixture.parts[1].headers = ["Content-ID: <a@test>", "Content-Transfer-Encoding: base64"]
        #expect(refusal(fixture.bytes, contentType: fixture.contentType)?.message.contains("base64") == true)
    }

    @Test("the writer refuses unusable Content-IDs, duplicates, reserved and line-breaking headers")
    func writerRefusals() throws {
        let folder = try TemporaryDirectory("mtom-writer-refusals")
        let root = Data("<x/>".utf8)
        let cases: [(MTOMAttachment, String)] = [
            (MTOMAttachment(contentID: "a b", body: .data(Data())), "not a usable Content-ID"),
            (MTOMAttachment(contentID: "<a>", body: .data(Data())), "not a usable Content-ID"),
            (MTOMAttachment(contentID: MTOMWriter.rootContentID, body: .data(Data())), "already used"),
            (
                MTOMAttachment(
                    contentID: "a", headers: MIMEHeaders(["X-Evil": "1\r\nContent-ID: <b>"]), body: .data(Data())),
                "line break"
            ),
            (
                MTOMAttachment(contentID: "a", headers: MIMEHeaders(["Content-ID": "<b>"]), body: .data(Data())),
                "set by the writer"
            ),
            (MTOMAttachment(contentID: "a", contentType: "not a type", body: .data(Data())), "malformed"),
            (
                MTOMAttachment(contentID: "a", body: .file(path: folder.appending("none"), offset: 0, length: 1)),
                "could not open"
            ),
        ]
        for (attachment, text) in cases {
            let error = #expect(throws: SedgateError.self) {
                try MTOMWriter.write(root: root, attachments: [attachment], to: folder.appending("m.mime"))
            }
            #expect(error?.message.contains(text) == true, "\(attachment.contentID): \(String(describing: error))")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
