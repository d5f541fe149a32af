// EnvelopeTests: the envelope accepts a producer's fields, fills defaults, and names the bad field otherwise.

import Foundation
import SedgateCore
import Testing

@Suite("Envelope")
struct EnvelopeTests {
    let required: [EnvelopeField: String] = [
        .sedType: "P001", .sedVersion: "4.2", .sector: "PE", .bucType: "P_BUC_01",
        .caseId: "c0ffee00-0000-4000-8000-000000000001", .sender: "BE:0001", .receiver: "DK:0002",
    ]

    @Test("the required fields are enough; the AP-filled ones stay empty and the interaction defaults to ASYNC")
    func minimal() throws {
        let envelope = try Envelope(fields: required)
        #expect(envelope.sedId == nil)
        #expect(envelope.sendingAP == nil)
        #expect(envelope.interaction == .async)
        #expect(envelope.receiver.country == "DK")
        #expect(envelope[.sector] == "PE")
    }

    @Test("an envelope stored as JSON reads back as itself, each text as its own envelope, however often it is read")
    func storedText() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var envelopes: [Envelope] = []
        for seqNo in 1...3 {
            var fields = required
            fields[.seqNo] = "\(seqNo)"
            envelopes.append(try Envelope(fields: fields))
        }
        for _ in 0..<2 {
            for envelope in envelopes {
                let text = String(decoding: try encoder.encode(envelope), as: UTF8.self)
                #expect(try Envelope.decodingStored(text) == envelope)
            }
        }
        // Text that is not an envelope is refused every time, never remembered as one.
        for _ in 0..<2 { #expect(throws: (any Error).self) { try Envelope.decodingStored("{\"sedType\":1}") } }
    }

    @Test("the journal's JSON of an envelope is byte for byte the encoder's, with every field, none, and odd text")
    func storedJSONMatchesTheEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var every = required
        every[.sedId] = "3b8f1d2c-5e6a-4f70-8a9b-1c2d3e4f5a6b"
        every[.inReplyTo] = "0b8f1d2c-5e6a-4f70-8a9b-1c2d3e4f5a6c"
        every[.senderFileNo] = "F/2026/001"
        every[.receiverFileNo] = "R-17"
        every[.sendingAP] = "AP-BE"
        every[.receivingAP] = "AP-DK"
        every[.seqNo] = "42"
        every[.createdAt] = "2026-12-07T10:15:00Z"
        every[.language] = "fr"
        every[.ackRequested] = "true"
        every[.interaction] = "SYNC"
        every[.dueDate] = "2026-12-07T10:16:00Z"
        every[.contentType] = "application/xml"
        every[.payloadSize] = "5120"
        var odd = try Envelope(fields: every)
        odd.senderFileNo = "q\"b\\s/c\u{1}\u{8}\u{c}\n\r\t\u{1f}é€😀"
        odd.ackRequested = false
        odd.seqNo = -3
        var sparse = try Envelope(fields: required)
        sparse.receiver = try #require(Address("DK:0002:AAR"))
        for envelope in [try Envelope(fields: required), try Envelope(fields: every), odd, sparse] {
            let expected = String(decoding: try encoder.encode(envelope), as: UTF8.self)
            #expect(envelope.storedJSON == expected)
            #expect(try Envelope.decodingStored(envelope.storedJSON) == envelope)
        }
    }

    @Test("each missing required field is named in the error")
    func missing() {
        for field in EnvelopeField.required {
            var fields = required
            fields[field] = nil
            #expect {
                try Envelope(fields: fields)
            } throws: { error in
                let error = error as? SedgateError
                return error?.code == .invalidEnvelope && error?.location?.field == "Envelope/\(field.xmlName)"
            }
        }
    }

    @Test("bad values are refused with the field and the reason")
    func badValues() {
        let cases: [(EnvelopeField, String)] = [
            (.sector, "XX"), (.sender, "Belgium"), (.sedId, "not-a-uuid"), (.seqNo, "-3"), (.interaction, "LATER"),
            (.sendingAP, "AP/BE"), (.sedType, "P0000000001"),
        ]
        for (field, value) in cases {
            var fields = required
            fields[field] = value
            #expect(throws: SedgateError.self, "\(field) = '\(value)' must be refused") { try Envelope(fields: fields) }
        }
    }

    @Test("every present field reads back as text in canonical order")
    func fieldsRoundTrip() throws {
        var fields = required
        fields[.sedId] = SEDID.random().rawValue
        fields[.sendingAP] = "AP-BE"
        fields[.seqNo] = "7"
        let envelope = try Envelope(fields: fields)
        let again = try Envelope(fields: Dictionary(uniqueKeysWithValues: envelope.fields))
        #expect(again == envelope)
        #expect(envelope.fields.map(\.0) == EnvelopeField.allCases.filter { envelope[$0] != nil })
    }
}
