// SOAPCodecRefusalTests: every way a peer can break the protocol is refused with a reasoned error.

import SedgateCore
import Testing
import Transport

@Suite("SOAP codec refusals")
struct SOAPCodecRefusalTests {
    /// The wire text of the sample deliver.
    func deliverText() throws -> String {
        String(decoding: SOAPCodec.encode(try Fixtures.deliver()), as: UTF8.self)
    }

    /// Decodes `text` and returns the error it was refused with.
    func refusal(_ text: String) -> SedgateError? {
        do {
            _ = try SOAPCodec.decode(Array(text.utf8), source: "peer AP-A")
            return nil
        } catch {
            return error
        }
    }

    /// Removes the first line containing `marker`.
    func removingLine(_ marker: String, from text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let index = lines.firstIndex(where: { $0.contains(marker) }) { lines.remove(at: index) }
        return lines.joined(separator: "\n")
    }

    @Test(
        "a message missing a required part is a protocol violation naming it",
        arguments: [
            ("<wsa:MessageID>", "MessageID"), ("<wsa:Action>", "Action"), ("<wsa:From>", "From"),
            ("<wsa:To>", "To"), ("<sed:Envelope", "sed:Envelope"), ("<sg:Payload", "Payload"),
        ])
    func missingPart(marker: String, named: String) throws {
        let error = try #require(refusal(removingLine(marker, from: try deliverText())))
        #expect(error.code == .protocolViolation)
        #expect(error.message.contains(named))
        #expect(error.location?.file == "peer AP-A")
    }

    @Test("a SOAP 1.1 envelope is refused with a hint to send SOAP 1.2")
    func soap11() throws {
        let text = try deliverText().replacingOccurrences(
            "http://www.w3.org/2003/05/soap-envelope", with: "http://schemas.xmlsoap.org/soap/envelope/")
        let error = try #require(refusal(text))
        #expect(error.code == .protocolViolation)
        #expect(error.message.contains("SOAP 1.1"))
    }

    @Test("an XML document that is not a SOAP envelope is refused")
    func notSOAP() throws {
        let error = try #require(refusal("<?xml version=\"1.0\"?><SED><Envelope/></SED>"))
        #expect(error.code == .protocolViolation)
        #expect(error.message.contains("not a SOAP 1.2 envelope"))
    }

    @Test("an unknown action is refused, listing the known ones")
    func unknownAction() throws {
        let text = try deliverText().replacingOccurrences("1:Deliver<", with: "1:Teleport<")
        let error = try #require(refusal(text))
        #expect(error.code == .protocolViolation)
        #expect(error.message.contains("Teleport") && error.message.contains("urn:eessi:sedgate:1:Receipt"))
    }

    @Test("another major version is refused as unsupported-version; a version that is no number as a violation")
    func otherVersion() throws {
        let text = try deliverText().replacingOccurrences(
            "<sg:Protocol version=\"1\"", with: "<sg:Protocol version=\"2\"")
        #expect(refusal(text)?.code == .unsupportedVersion)
        let garbled = try deliverText().replacingOccurrences(
            "<sg:Protocol version=\"1\"", with: "<sg:Protocol version=\"1.x\"")
        #expect(refusal(garbled)?.code == .protocolViolation)
    }

    @Test("a node address outside urn:eessi:node: is refused")
    func badAddress() throws {
        let text = try deliverText().replacingOccurrences("urn:eessi:node:AP-A", with: "https://ap-a.example")
        let error = try #require(refusal(text))
        #expect(error.code == .protocolViolation)
        #expect(error.message.contains("urn:eessi:node:"))
    }

    @Test("a payload whose size does not match its declared size is refused")
    func sizeMismatch() throws {
        let text = try deliverText().replacingOccurrences(
            "size=\"\(Fixtures.payload.count)\"", with: "size=\"\(Fixtures.payload.count + 1)\"")
        let error = try #require(refusal(text))
        #expect(error.code == .protocolViolation)
        #expect(
            error.message.contains(
                "declares \(Fixtures.payload.count + 1) bytes but holds \(Fixtures.payload.count)"))
    }

    @Test("a payload that is not base64 is refused", arguments: ["!!!!", "PFNF=RD", "PFN"])
    func badBase64(garbage: String) throws {
        let text = try deliverText()
        let start = try #require(text.firstRange(of: "size=\"\(Fixtures.payload.count)\">"))
        let end = try #require(text.firstRange(of: "</sg:Payload>"))
        let broken = String(text[..<start.upperBound]) + garbage + String(text[end.lowerBound...])
        let error = try #require(refusal(broken))
        #expect(error.code == .protocolViolation)
        #expect(error.message.contains("base64"))
    }

    @Test("a receipt without its Receipt body is refused")
    func receiptWithoutBody() throws {
        let deliver = try Fixtures.deliver()
        let text = String(decoding: SOAPCodec.encode(deliver), as: UTF8.self)
            .replacingOccurrences("1:Deliver<", with: "1:Receipt<")
        let error = try #require(refusal(text))
        #expect(error.code == .protocolViolation)
        #expect(error.message.contains("Receipt"))
    }

    @Test("a fault whose code is neither Sender nor Receiver is refused")
    func badFaultCode() throws {
        let fault = try Fixtures.deliver().replying(with: Fault(code: .storage, reason: "disk", isSenderFault: false))
        let text = String(decoding: SOAPCodec.encode(fault), as: UTF8.self)
            .replacingOccurrences("env:Receiver", with: "env:Somebody")
        #expect(refusal(text)?.code == .protocolViolation)
    }

    @Test("an external entity (XXE) in a SOAP message is refused as hostile, and nothing is read")
    func externalEntity() throws {
        let text = try deliverText().replacingOccurrences(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            with:
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE env:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        ).replacingOccurrences("<wsa:To>urn:eessi:node:CN</wsa:To>", with: "<wsa:To>&xxe;</wsa:To>")
        let error = try #require(refusal(text))
        #expect(error.code == .hostileInput)
        #expect(!error.message.contains("root:"))
    }

    @Test("bytes that are not XML are refused as malformed")
    func notXML() {
        #expect(refusal("HTTP/1.1 200 OK")?.code == .malformedXML)
    }
}
