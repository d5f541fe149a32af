// EnvelopeCompletionTests: the access point adds missing envelope fields and every other byte stays as it was.

import Documents
import SedgateCore
import Testing

/// The fields an access point fills in, with valid values.
private let apFields: [EnvelopeField: String] = [
    .sedId: "0e7b2c4a-9f31-4d58-a6b2-7c1d9e3f5a80",
    .createdAt: "2026-11-23T10:15:00Z",
    .sendingAP: "AP-BE",
    .receivingAP: "AP-DK",
]

/// Checks that `result` is `original` with one run of bytes inserted right after the first `marker`, and
/// returns the inserted text (nil if any byte outside it differs).
private func insertedText(_ original: [UInt8], _ result: [UInt8], after marker: String) -> String? {
    let pattern = Array(marker.utf8)
    guard let start = (0..<original.count).first(where: { original[$0...].starts(with: pattern) }) else { return nil }
    let cut = start + pattern.count
    let tail = original.count - cut
    guard result.count >= original.count, result.prefix(cut).elementsEqual(original.prefix(cut)),
        result.suffix(tail).elementsEqual(original.suffix(tail))
    else { return nil }
    return String(decoding: result[cut..<(result.count - tail)], as: UTF8.self)
}

@Test("absent fields are spliced in; the rest of the sample is byte-identical and the envelope reads them")
func completesSample() throws {
    let original = try Samples.bytes("pensions-P001-claim.xml")
    let document = try SEDReader.read(original, source: "outbound/claim.xml")
    let completed = try document.completing(with: apFields)
    #expect(completed.envelope.sedId == SEDID(apFields[.sedId]!))
    #expect(completed.envelope.createdAt == apFields[.createdAt])
    #expect(completed.envelope.sendingAP == NodeID("AP-BE"))
    #expect(completed.envelope.receivingAP == NodeID("AP-DK"))
    #expect(completed.envelope.sedType == document.envelope.sedType)
    let inserted = try #require(insertedText(original, completed.bytes, after: "<Envelope>"))
    #expect(inserted.hasPrefix("<SedId>0e7b2c4a-9f31-4d58-a6b2-7c1d9e3f5a80</SedId>"))
    #expect(inserted.contains("<ReceivingAP>AP-DK</ReceivingAP>"))
    #expect(completed.source == "outbound/claim.xml")
}

@Test("fields the producer wrote are never overwritten")
func keepsWrittenFields() throws {
    let original = try Samples.bytes("sickness-S001-entitlement-request.xml")
    let document = try SEDReader.read(original, source: "s")
    let completed = try document.completing(with: apFields)
    #expect(completed.envelope.sedId == SEDID("3b8f1d2c-5e6a-4f70-8a9b-1c2d3e4f5a6b"))
    #expect(completed.envelope.createdAt == "2026-11-23T09:41:12Z")
    let inserted = try #require(insertedText(original, completed.bytes, after: "<sed:Envelope>"))
    #expect(inserted == "<sed:SendingAP>AP-BE</sed:SendingAP><sed:ReceivingAP>AP-DK</sed:ReceivingAP>")
    // Nothing to add: the very same bytes come back.
    #expect(try completed.completing(with: apFields).bytes == completed.bytes)
}

@Test("the splice survives tricky prologs and leaves CDATA, references, quotes and comments untouched")
func trickyDocument() throws {
    let xml = """
        \u{FEFF}<?xml version='1.0' encoding='UTF-8'?>
        <!-- <SED> in a comment: <s:Envelope> -->
        <?producer note="a > b"?>
        <s:SED xmlns:s='urn:eessi:sedgate:sed:1' c:note='x > y "s:Envelope/>"' xmlns:c="urn:c">
          <!-- between root and envelope -->
          <s:Envelope
              c:x='1' xmlns:c="urn:c"><s:SedType>P001</s:SedType><s:SedVersion>1.0</s:SedVersion><s:Sector>PE</s:Sector>
            <s:BucType>P_BUC_01</s:BucType><s:CaseId>case-1</s:CaseId>
            <s:Sender>BE:0001</s:Sender><s:Receiver>DK:0002</s:Receiver>
          </s:Envelope>
          <s:Content><c:Doc c:a='single "quoted"' b="&#x41;&amp;&#66;"><![CDATA[<not-markup> & ]]]]><![CDATA[>]]>
            <!-- keep me --><c:T>&lt;&#233;&gt;</c:T>   <?pi data?></c:Doc></s:Content>
        </s:SED>
        """
    let original = Array(xml.utf8)
    let document = try SEDReader.read(original, source: "tricky.xml")
    let completed = try document.completing(with: apFields)
    let inserted = try #require(insertedText(original, completed.bytes, after: "c:x='1' xmlns:c=\"urn:c\">"))
    #expect(inserted.hasPrefix("<s:SedId>"))
    #expect(completed.envelope.sendingAP == NodeID("AP-BE"))
    let content = try #require(completed.content)
    #expect(content.children.first?.attribute("a", namespace: "urn:c") == "single \"quoted\"")
}

@Test("a self-closing <Envelope/> gets a start tag, the fields and an end tag")
func selfClosingEnvelope() throws {
    let original = Array(
        """
        <SED xmlns="urn:eessi:sedgate:sed:1"><Envelope /><Content><x xmlns="urn:x"/></Content></SED>
        """.utf8)
    var fields = apFields
    fields[.sedType] = "P001"
    fields[.sedVersion] = "1.0"
    fields[.sector] = "PE"
    fields[.bucType] = "P_BUC_01"
    fields[.caseId] = "case-2"
    fields[.sender] = "BE:0001"
    fields[.receiver] = "DK:0002"
    let completed = try EnvelopeCompletion.completing(original, source: "profile.xml", with: fields)
    #expect(completed.envelope.caseId == "case-2")
    let text = String(decoding: completed.bytes, as: UTF8.self)
    #expect(text.hasPrefix("<SED xmlns=\"urn:eessi:sedgate:sed:1\"><Envelope ><SedId>"))
    #expect(text.hasSuffix("</Envelope><Content><x xmlns=\"urn:x\"/></Content></SED>"))
}

@Test("an invalid added value is refused with the field named, and values are escaped")
func invalidAddition() throws {
    let document = try SEDReader.read(try Samples.bytes("pensions-P001-claim.xml"), source: "p")
    #expect {
        _ = try document.completing(with: [.sendingAP: "AP <BE>"])
    } throws: { error in
        guard let error = error as? SedgateError else { return false }
        return (error.code == .schemaViolation || error.code == .invalidEnvelope)
            && error.location?.field?.hasSuffix("SendingAP") == true
    }
}

@Test(
    "splicing (the intake's path, no second parse) gives the bytes and envelope that completing reads back",
    arguments: ["pensions-P001-claim.xml", "sickness-S001-entitlement-request.xml"])
func splicingMatchesCompleting(sample: String) throws {
    let document = try SEDReader.read(try Samples.bytes(sample), source: "outbound/\(sample)")
    for additions in [apFields, [.seqNo: "7"], [.sendingAP: "AP-BE", .createdAt: "2026-12-07T10:00:00Z"], [:]] {
        let read = try document.completing(with: additions)
        let spliced = try EnvelopeCompletion.splicing(document, with: additions)
        #expect(spliced.bytes == read.bytes)
        #expect(spliced.envelope == read.envelope)
    }
}

@Test("splicing refuses an invalid value with the field named, as completing does")
func splicingRefusesInvalidValue() throws {
    let document = try SEDReader.read(try Samples.bytes("pensions-P001-claim.xml"), source: "p")
    #expect {
        _ = try EnvelopeCompletion.splicing(document, with: [.sendingAP: "AP <BE>"])
    } throws: { error in
        guard let error = error as? SedgateError else { return false }
        return error.code == .invalidEnvelope && error.location?.field?.hasSuffix("SendingAP") == true
            && error.location?.file == "p"
    }
}
