// HopDigestTests: the hop signature of a compound message checked on its root part as sent (xop:Include elements in
// place, each attachment's base64 fed into the body's digest) agrees with the check over the inline form, whoever
// signed it (this node's writer or xmlsec over the inline form); any attachment swapped, altered, missing, extra or
// included twice is refused; an Include laid out otherwise is left to the inline form, which decides.

import Documents
import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing
import Transport
import WSSecurity

/// Two nodes' keys and three SEDs sealed by AP-BE for AP-DK, packed in one hop from AP-BE.
private struct Hop {
    let directory: TemporaryDirectory
    let seds: [SealedSED]
    let trust: TrustStore

    init() throws {
        directory = try TemporaryDirectory("hop-digest")
        try PKI.copyShared(into: directory.appending("pki"), nodes: ["AP-BE", "AP-DK"])
        trust = try TrustStore(caFile: directory.appending("pki/ca.crt"))
        let recipient = try PeerCertificate(file: directory.appending("pki/AP-DK.crt"))
        var seds: [SealedSED] = []
        let signer = try NodeKey(
            privateKeyFile: directory.appending("pki/AP-BE.key"), certificateFile: directory.appending("pki/AP-BE.crt"))
        for index in 0..<3 {
            let bytes = SampleSED.make(sedId: .random(), size: 3_000, index: index, sendingAP: "AP-BE")
            var envelope = try SEDReader.read(bytes, source: "sample").envelope
            envelope.receivingAP = NodeID("AP-DK")
            seds.append(try SealedSED.seal(bytes, envelope: envelope, signer: signer, recipient: recipient))
        }
        self.seds = seds
    }

    func key(_ node: String) throws -> NodeKey {
        try NodeKey(
            privateKeyFile: directory.appending("pki/\(node).key"),
            certificateFile: directory.appending("pki/\(node).crt"))
    }

    /// The message as this node's writer makes it, or (`xmlsec`) signed by xmlsec over the inline form.
    func encoded(xmlsec: Bool = false) throws -> MTOMMessage {
        let message = CompoundMessage(from: NodeID("AP-BE")!, to: NodeID("AP-DK")!, seds: seds)
        let (contentType, body) =
            xmlsec
            ? try message.encode(signer: try key("AP-BE"), editing: { $0 }) : try message.encode(signer: key("AP-BE"))
        return try MTOMReader().read(data: Data(body), contentType: contentType)
    }

    /// `message` written again with `root` and `attachments` (by default its own).
    func rewritten(
        _ message: MTOMMessage, root: Data? = nil, attachments: [(id: String, bytes: Data)]? = nil
    ) throws -> MTOMMessage {
        let parts = try attachments ?? message.attachments.map { ($0.contentID, try message.bytes(of: $0)) }
        let (contentType, body) = try MTOMWriter.encode(
            root: root ?? message.rootBytes,
            attachments: parts.map { MTOMAttachment(contentID: $0.id, body: .data($0.bytes)) })
        return try MTOMReader().read(data: Data(body), contentType: contentType)
    }

    /// The direct check: nil when the root part is not laid out for it.
    func direct(_ message: MTOMMessage) throws -> SignatureCheck? {
        var references = XOPReferences(message)
        return try MessageSignature.verifyAndRead(
            message.rootBytes, including: { (href) throws(SedgateError) in try references.part(href: href) },
            trusting: trust, source: "test")?.check
    }

    /// The check over the inline form, as any envelope is checked.
    func inline(_ message: MTOMMessage) throws -> SignatureCheck {
        try MessageSignature.verifyAndRead(try XOP.inline(message), trusting: trust, source: "test").check
    }

    func read(_ message: MTOMMessage) throws -> CompoundMessage {
        try CompoundMessage.read(message, trusting: trust, source: "test")
    }
}

@Suite("Hop signatures checked on the root part as sent")
struct HopDigestTests {
    @Test(
        "the check on the root part as sent agrees with the check over the inline form, for this node's writer and xmlsec"
    )
    func agreesWithInlineForm() throws {
        let hop = try Hop()
        for xmlsec in [false, true] {
            let message = try hop.encoded(xmlsec: xmlsec)
            let direct = try #require(try hop.direct(message), "the root part as written is checked directly")
            let inline = try hop.inline(message)
            #expect(direct.signer == "AP-BE" && direct.signer == inline.signer)
            #expect(direct.signedIDs == inline.signedIDs && direct.bodyIsSigned && inline.bodyIsSigned)
            let read = try hop.read(message)
            #expect(read.seds.map(\.bytes) == hop.seds.map(\.bytes) && read.refused.isEmpty)
        }
    }

    @Test("attachments swapped between two Includes, or one byte of one changed, fail the body's digest either way")
    func swappedOrAlteredAttachment() throws {
        let hop = try Hop()
        let message = try hop.encoded()
        var parts = try message.attachments.map { ($0.contentID, try message.bytes(of: $0)) }
        var swapped = parts
        (swapped[0].1, swapped[1].1) = (parts[1].1, parts[0].1)
        parts[2].1[100] ^= 0x01
        for attachments in [swapped, parts] {
            let tampered = try hop.rewritten(message, attachments: attachments.map { (id: $0.0, bytes: $0.1) })
            let direct = #expect(throws: SedgateError.self) { try hop.direct(tampered) }
            #expect(direct?.code == .signatureInvalid, "\(String(describing: direct))")
            #expect(direct?.message.contains("#body") == true, "\(String(describing: direct))")
            let inline = #expect(throws: SedgateError.self) { try hop.inline(tampered) }
            #expect(inline?.code == .signatureInvalid)
            let read = #expect(throws: SedgateError.self) { try hop.read(tampered) }
            #expect(read?.code == .signatureInvalid && read?.message.contains("#body") == true)
        }
    }

    @Test("an attachment missing, one no Include names, or one named twice refuses the message")
    func attachmentsNotIncludedOnce() throws {
        let hop = try Hop()
        let message = try hop.encoded()
        let parts = try message.attachments.map { (id: $0.contentID, bytes: try message.bytes(of: $0)) }
        let root = String(decoding: message.rootBytes, as: UTF8.self)
        // The writer's Content-IDs (part<n>.<token>@sedgate) need no percent-encoding in a cid: URL.
        let hrefs = message.attachments.map { "cid:" + $0.contentID }
        let cases: [(MTOMMessage, String)] = [
            (try hop.rewritten(message, attachments: Array(parts.dropLast())), "has no part"),
            (
                try hop.rewritten(message, attachments: parts + [(id: "extra@sedgate", bytes: Data([1, 2, 3]))]),
                "no xop:Include refers to"
            ),
            (
                try hop.rewritten(
                    message, root: Data(root.replacingOccurrences(of: hrefs[1], with: hrefs[0]).utf8)),
                "two xop:Include elements refer to"
            ),
        ]
        for (tampered, reason) in cases {
            let error = #expect(throws: SedgateError.self) { try hop.read(tampered) }
            #expect(error?.code == .protocolViolation, "\(String(describing: error))")
            #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        }
    }

    @Test("an Include laid out otherwise (an attribute more) is not checked directly: the inline form decides")
    func otherLayoutFallsBack() throws {
        let hop = try Hop()
        let message = try hop.encoded()
        let root = String(decoding: message.rootBytes, as: UTF8.self)
        let edited = try hop.rewritten(
            message, root: Data(root.replacingOccurrences(of: "<xop:Include ", with: "<xop:Include role=\"x\" ").utf8))
        #expect(try hop.direct(edited) == nil)
        // The inline form drops the whole Include, so the signature over it still holds.
        #expect(try hop.read(edited).seds.map(\.bytes) == hop.seds.map(\.bytes))
        // A root part in another encoding than UTF-8 neither (XOP.inline splices UTF-8).
        let latin = try hop.rewritten(
            message,
            root: Data(root.replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding=\"ISO-8859-1\"").utf8))
        #expect(try hop.direct(latin) == nil)
        #expect(try hop.read(latin).seds.map(\.bytes) == hop.seds.map(\.bytes))
        // The same in the env:Header (outside the body) is never checked directly either.
        let header = try hop.rewritten(
            message,
            root: Data(
                root.replacingOccurrences(
                    of: "</env:Header>",
                    with: "<sg:X><xop:Include xmlns:xop=\"\(XOP.namespace)\" href=\"cid:a\"/></sg:X></env:Header>"
                ).utf8))
        #expect(try hop.direct(header) == nil)
    }

    @Test("a node's codec reads the root part once for the action and the hop check, with the outcome of a fresh read")
    func codecParsesRootOnce() async throws {
        let hop = try Hop()
        let pki = hop.directory.appending("pki")
        let codec = try CompoundCodec(
            tls: TLSFiles(
                certificatePath: "\(pki)/AP-DK.crt", privateKeyPath: "\(pki)/AP-DK.key", trustRootsPath: "\(pki)/ca.crt"
            ),
            temporaryDirectory: hop.directory.path)
        let message = try hop.encoded()
        var parts = try message.attachments.map { (id: $0.contentID, bytes: try message.bytes(of: $0)) }
        let pristine = try MTOMWriter.encode(
            root: message.rootBytes, attachments: parts.map { MTOMAttachment(contentID: $0.id, body: .data($0.bytes)) })
        let serial = try codec.decodeMessage(pristine.body, contentType: pristine.contentType, source: "m")
        let pooled = try await codec.decodeMessage(
            pristine.body, contentType: pristine.contentType, source: "m", on: SealingPool.shared)
        let read = try hop.read(message)
        #expect(serial.compound == read && pooled.compound == read && read.seds.count == 3)
        parts[1].bytes[50] ^= 0x01
        let altered = try MTOMWriter.encode(
            root: message.rootBytes, attachments: parts.map { MTOMAttachment(contentID: $0.id, body: .data($0.bytes)) })
        let error = #expect(throws: SedgateError.self) {
            try codec.decodeMessage(altered.body, contentType: altered.contentType, source: "m")
        }
        #expect(error?.code == .signatureInvalid && error?.message.contains("#body") == true)
        let pooledError = await #expect(throws: SedgateError.self) {
            try await codec.decodeMessage(
                altered.body, contentType: altered.contentType, source: "m", on: SealingPool.shared)
        }
        #expect(pooledError?.code == .signatureInvalid)
    }

    @Test("parts of every length, across the encoder's slices, are digested as the base64 the inline form has")
    func partLengths() throws {
        let hop = try Hop()
        let sizes = [1, 2, 3, 4, 49_151, 49_152, 49_153, 98_305, 150_001]
        var generator = SystemRandomNumberGenerator()
        var body = ""
        for (index, size) in sizes.enumerated() {
            let bytes = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
            body += "<sg:SED sedId=\"\(index)\">\(bytes.base64EncodedString())</sg:SED>\n"
        }
        let envelope = """
            <?xml version="1.0" encoding="UTF-8"?>
            <env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" \
            xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" \
            xmlns:sg="urn:eessi:sedgate:protocol:1"><env:Header/><env:Body wsu:Id="body">
            \(body)</env:Body></env:Envelope>
            """
        // Signed by xmlsec over the inline form, then its base64 moved to parts.
        let signed = try MessageSignature.sign(Data(envelope.utf8), ids: ["body"], with: try hop.key("AP-BE"))
        let external = try XOP.externalize(
            xml: signed, elements: .elements(named: "SED", namespace: "urn:eessi:sedgate:protocol:1"))
        #expect(external.attachments.count == sizes.count)
        let (contentType, mime) = try MTOMWriter.encode(root: external.xml, attachments: external.attachments)
        let message = try MTOMReader().read(data: Data(mime), contentType: contentType)
        let direct = try #require(try hop.direct(message))
        #expect(direct.bodyIsSigned && direct.signer == "AP-BE")
        var parts = try message.attachments.map { (id: $0.contentID, bytes: try message.bytes(of: $0)) }
        parts[7].bytes[98_304] ^= 0x80
        let error = #expect(throws: SedgateError.self) {
            try hop.direct(try hop.rewritten(message, attachments: parts))
        }
        #expect(error?.code == .signatureInvalid)
    }
}
