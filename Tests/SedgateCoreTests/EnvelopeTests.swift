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
