// SOAPCodecTests: protocol messages survive encoding and decoding; malformed or hostile SOAP is refused.

import SedgateCore
import Testing
import Transport

@Suite("SOAP codec")
struct SOAPCodecTests {
    func roundTrip(_ message: ProtocolMessage) throws -> ProtocolMessage {
        try SOAPCodec.decode(SOAPCodec.encode(message), source: "test")
    }

    @Test("a deliver keeps its addressing, envelope and payload bytes")
    func deliverRoundTrip() throws {
        let message = try Fixtures.deliver()
        #expect(try roundTrip(message) == message)
    }

    @Test("payloads of every length modulo 3, including empty, survive base64")
    func payloadLengths() throws {
        for length in 0..<7 {
            var message = try Fixtures.deliver()
            message.payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 200) }
            #expect(try roundTrip(message).payload == message.payload)
        }
    }

    @Test("a receipt answers the message it relates to")
    func receiptRoundTrip() throws {
        let deliver = try Fixtures.deliver()
        let receipt = deliver.replying(
            with: Receipt(sedId: Fixtures.sedId, kind: .stored, node: Fixtures.cn, at: "2026-11-23T10:15:01Z"))
        let decoded = try roundTrip(receipt)
        #expect(decoded == receipt)
        #expect(decoded.relatesTo == deliver.messageID)
        #expect(decoded.from == Fixtures.cn && decoded.to == Fixtures.apA)
    }

    @Test("a failed receipt keeps its machine-readable code; a receipt without one (an older peer's) is read too")
    func failedReceiptCode() throws {
        let deliver = try Fixtures.deliver()
        let failed = deliver.replying(
            with: Receipt(
                sedId: Fixtures.sedId, kind: .failed, node: Fixtures.cn, at: "2026-11-23T10:15:01Z",
                reason: "the seal does not verify", code: .signatureInvalid))
        let text = String(decoding: SOAPCodec.encode(failed), as: UTF8.self)
        #expect(text.contains("code=\"signature-invalid\""))
        #expect(try roundTrip(failed).receipts.first?.code == .signatureInvalid)
        var plain = failed
        plain.receipts[0].code = nil
        #expect(try roundTrip(plain).receipts.first?.code == nil)
        let hostile = text.replacing("code=\"signature-invalid\"", with: "code=\"not a code\"")
        #expect(throws: SedgateError.self) { try SOAPCodec.decode(Array(hostile.utf8), source: "test") }
    }

    @Test("a fault keeps its code, reason, side and retry-after")
    func faultRoundTrip() throws {
        let deliver = try Fixtures.deliver()
        let backPressure = deliver.replying(
            with: Fault(
                code: .backPressure, reason: "over capacity <now> & busy", retryAfterSeconds: 30,
                isSenderFault: false))
        #expect(try roundTrip(backPressure) == backPressure)
        let refused = deliver.replying(
            with: Fault(code: .unauthorized, reason: "certificate names AP-X", isSenderFault: true))
        let decoded = try roundTrip(refused)
        #expect(decoded == refused)
        #expect(decoded.fault?.retryAfter == nil)
    }

    @Test("the encoded message is SOAP 1.2 with WS-Addressing and the protocol version")
    func wireForm() throws {
        let text = String(decoding: SOAPCodec.encode(try Fixtures.deliver()), as: UTF8.self)
        #expect(text.contains("xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\""))
        #expect(text.contains("<sg:Protocol version=\"1\" minor=\"1\"/>"))
        #expect(text.contains("<wsa:From><wsa:Address>urn:eessi:node:AP-A</wsa:Address></wsa:From>"))
        #expect(text.contains("<wsa:To>urn:eessi:node:CN</wsa:To>"))
        #expect(text.contains("<wsa:Action>urn:eessi:sedgate:1:Deliver</wsa:Action>"))
        #expect(text.contains("<sed:Envelope xmlns:sed=\"urn:eessi:sedgate:sed:1\">"))
        #expect(text.contains("<sg:Payload contentType=\"application/xml\" size=\"\(Fixtures.payload.count)\">"))
    }

    @Test("a payload of several megabytes survives the codec")
    func largePayload() throws {
        var message = try Fixtures.deliver()
        message.payload = (0..<(12 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try roundTrip(message).payload == message.payload)
    }

    @Test("base64 split over lines, as some stacks write it, is accepted")
    func wrappedBase64() throws {
        let message = try Fixtures.deliver()
        let text = String(decoding: SOAPCodec.encode(message), as: UTF8.self)
        let encoded = text.split(separator: ">").first { $0.hasPrefix("PFNFRD") }.map {
            String($0.prefix { $0 != "<" })
        }
        let base64 = try #require(encoded)
        let wrapped = String(base64.prefix(8)) + "\n  " + String(base64.dropFirst(8))
        let decoded = try SOAPCodec.decode(Array(text.replacingOccurrences(base64, with: wrapped).utf8), source: "t")
        #expect(decoded.payload == message.payload)
    }
}

extension String {
    /// Replaces every occurrence of `target` (tests only; no Foundation).
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
