// CompoundMessageTests: sealed SEDs and compound messages, checked by tools nobody here wrote (Python's email
// package parses the MTOM file and resolves its XOP references; xmlsec1 verifies the signatures and decrypts a
// body), and tampering of every kind refused with an error that says what failed.

import Documents
import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing
import Transport
import WSSecurity

/// Three nodes' keys and two sealed SEDs from AP-BE for AP-DK.
private struct Network {
    let directory: TemporaryDirectory
    let originals: [[UInt8]]
    let seds: [SealedSED]

    init() throws {
        directory = try TemporaryDirectory("compound")
        try PKI.copyShared(into: directory.appending("pki"), nodes: ["CN", "AP-BE", "AP-DK"])
        var originals: [[UInt8]] = []
        var seds: [SealedSED] = []
        // As a node seals: the SEDs for one destination share a content key window.
        let contentKeys = ContentKeyWindows()
        for index in 0..<2 {
            let bytes = SampleSED.make(sedId: .random(), size: 5_000, index: index, sendingAP: "AP-BE")
            var envelope = try SEDReader.read(bytes, source: "sample").envelope
            envelope.receivingAP = NodeID("AP-DK")
            originals.append(bytes)
            seds.append(
                try SealedSED.seal(
                    bytes, envelope: envelope, signer: try Self.key("AP-BE", directory),
                    recipient: try PeerCertificate(file: directory.appending("pki/AP-DK.crt")),
                    contentKeys: contentKeys))
        }
        self.originals = originals
        self.seds = seds
    }

    static func key(_ node: String, _ directory: TemporaryDirectory) throws -> NodeKey {
        try NodeKey(
            privateKeyFile: directory.appending("pki/\(node).key"),
            certificateFile: directory.appending("pki/\(node).crt"))
    }

    func key(_ node: String) throws -> NodeKey { try Self.key(node, directory) }
    var trust: TrustStore { get throws { try TrustStore(caFile: directory.appending("pki/ca.crt")) } }
    func path(_ name: String) -> String { directory.appending(name) }

    /// Writes a compound message from `from` to `to`, signed by `signer`, and returns its path and Content-Type.
    func write(
        _ seds: [SealedSED], from: String = "AP-BE", to: String = "CN", signer: String = "AP-BE"
    )
        throws -> (path: String, contentType: String)
    {
        let path = self.path("message-\(UUID().uuidString).mime")
        let message = CompoundMessage(from: NodeID(from)!, to: NodeID(to)!, seds: seds)
        return (path, try message.write(to: path, signer: try key(signer)).contentType)
    }

    func read(_ path: String, contentType: String) throws -> CompoundMessage {
        try CompoundMessage.read(
            try MTOMReader().read(file: path, contentType: contentType), trusting: try trust, source: path)
    }
}

/// Parses an MTOM file with Python's standard `email` package, resolves every xop:Include to the base64 of the
/// part it names, and writes the inline root to argv[3] and each sg:SED's decoded bytes to argv[4]-N.xml.
private let resolveXOP = #"""
    import base64, email, email.policy, json, re, sys
    raw = open(sys.argv[1], 'rb').read()
    content_type = sys.argv[2]
    message = email.message_from_bytes(
        b'MIME-Version: 1.0\r\nContent-Type: ' + content_type.encode() + b'\r\n\r\n' + raw,
        policy=email.policy.default)
    assert message.get_content_type() == 'multipart/related', message.get_content_type()
    start = message.get_param('start').strip('<>')
    parts = {p['Content-ID'].strip('<>'): p.get_payload(decode=True) for p in message.iter_parts()}
    root = parts.pop(start).decode('utf-8')
    resolved = 0
    def include(match):
        global resolved
        resolved += 1
        return base64.b64encode(parts[match.group(1)]).decode()
    inline = re.sub(r'<xop:Include [^>]*href="cid:([^"]+)"/>', include, root)
    open(sys.argv[3], 'w', encoding='utf-8').write(inline)
    seds = re.findall(r'<sg:SED sedId="[^"]+">([^<]+)</sg:SED>', inline)
    for index, text in enumerate(seds):
        open('%s-%d.xml' % (sys.argv[4], index), 'wb').write(base64.b64decode(text))
    print(json.dumps({'parts': len(parts), 'resolved': resolved, 'seds': len(seds)}))
    """#

/// The byte offset of a base64 character inside the last CipherValue of `text` (the body's ciphertext).
private func cipherTextOffset(in text: String) -> Int {
    let closing = text.range(of: "CipherValue>", options: .backwards)!.lowerBound
    let tagStart = text.range(of: "</", options: .backwards, range: text.startIndex..<closing)!.lowerBound
    return text.utf8.distance(from: text.startIndex, to: tagStart) - 10
}

@Suite("Compound messages and sealed SEDs")
struct CompoundMessageTests {
    static let soap = "http://www.w3.org/2003/05/soap-envelope"
    static let addressing = "http://www.w3.org/2005/08/addressing"
    static let protocolNamespace = "urn:eessi:sedgate:protocol:1"

    @Test(
        "a packed message is standard MTOM: Python's email package resolves its XOP parts, xmlsec1 verifies both signatures and decrypts a body"
    )
    func independentVerification() async throws {
        let network = try Network()
        let (path, contentType) = try network.write(network.seds)
        let script = network.path("resolve.py")
        try Data(resolveXOP.utf8).write(to: URL(fileURLWithPath: script))
        let parsed = try await ChildProcess.run(
            "/usr/bin/env", ["python3", script, path, contentType, network.path("inline.xml"), network.path("sealed")])
        #expect(parsed.status == 0, "python: \(parsed.output)")
        #expect(parsed.output.contains(#"{"parts": 2, "resolved": 2, "seds": 2}"#), "\(parsed.output)")

        // The hop signature by AP-BE, over the XOP-inline form (wsu:Id is not a DTD id: name the elements).
        var arguments = ["--verify", "--trusted-pem", network.path("pki/ca.crt")]
        for (namespace, name) in [
            (Self.addressing, "MessageID"), (Self.addressing, "Action"), (Self.addressing, "From"),
            (Self.addressing, "To"), (Self.protocolNamespace, "Compound"), (Self.soap, "Body"),
        ] {
            arguments += ["--id-attr:Id", "\(namespace):\(name)"]
        }
        let hop = try await ChildProcess.run("/usr/bin/xmlsec1", arguments + [network.path("inline.xml")])
        #expect(hop.status == 0, "xmlsec1 --verify (hop): \(hop.output)")

        // Each sealed SED: AP-BE's own signature, then the body for AP-DK's key only.
        let sealed = network.path("sealed-0.xml")
        let seal = try await ChildProcess.run(
            "/usr/bin/xmlsec1",
            [
                "--verify", "--trusted-pem", network.path("pki/ca.crt"),
                "--id-attr:Id", "\(Self.protocolNamespace):SealedSED", "--id-attr:Id", "\(Self.soap):Body", sealed,
            ])
        #expect(seal.status == 0, "xmlsec1 --verify (seal): \(seal.output)")
        let decrypted = network.path("body.gz")
        let opened = try await ChildProcess.run(
            "/usr/bin/xmlsec1",
            [
                "--decrypt", "--privkey-pem", "\(network.path("pki/AP-DK.key")),\(network.path("pki/AP-DK.crt"))",
                "--output", decrypted, sealed,
            ])
        #expect(opened.status == 0, "xmlsec1 --decrypt: \(opened.output)")
        let body = try Gzip.decompress(try Data(contentsOf: URL(fileURLWithPath: decrypted)), limit: 1 << 20)
        #expect(Array(body) == network.originals[0], "the body xmlsec1 decrypted is the SED, byte for byte")
        // The second SED shares the first one's content key window and still opens on its own.
        let openedSecond = try await ChildProcess.run(
            "/usr/bin/xmlsec1",
            [
                "--decrypt", "--privkey-pem", "\(network.path("pki/AP-DK.key")),\(network.path("pki/AP-DK.crt"))",
                "--output", network.path("body-1.gz"), network.path("sealed-1.xml"),
            ])
        #expect(openedSecond.status == 0, "xmlsec1 --decrypt: \(openedSecond.output)")
        let second = try Gzip.decompress(
            try Data(contentsOf: URL(fileURLWithPath: network.path("body-1.gz"))), limit: 1 << 20)
        #expect(Array(second) == network.originals[1], "the second SED, byte for byte")
    }

    @Test("the receiving AP reads, verifies and opens every SED, byte for byte, and the header lists their ids")
    func roundTrip() throws {
        let network = try Network()
        let (path, contentType) = try network.write(network.seds)
        let message = try network.read(path, contentType: contentType)
        #expect(message.from == NodeID("AP-BE") && message.to == NodeID("CN"))
        #expect(message.seds.map(\.sedId) == network.seds.map(\.sedId))
        #expect(message.seds.allSatisfy { $0.signer == "AP-BE" })
        for (sealed, original) in zip(message.seds, network.originals) {
            let opened = try SealedSED.open(
                sealed.bytes, trusting: try network.trust, key: try network.key("AP-DK"), source: "t")
            #expect(opened.payload == original)
        }
    }

    @Test("SED ids are read in any case: a hop that lists and carries them in upper case is taken (P-ID-1)")
    func upperCaseSEDIDs() throws {
        let network = try Network()
        let path = network.path("upper.mime")
        let ids = network.seds.map(\.sedId.rawValue)
        let message = CompoundMessage(from: NodeID("AP-BE")!, to: NodeID("CN")!, seds: network.seds)
        let contentType = try message.write(to: path, signer: try network.key("AP-BE")) { xml in
            ids.reduce(xml) { $0.replacingOccurrences(of: "sedId=\"\($1)\"", with: "sedId=\"\($1.uppercased())\"") }
        }.contentType
        let read = try network.read(path, contentType: contentType)
        #expect(read.refused.isEmpty, "\(read.refused)")
        #expect(read.seds.map(\.sedId) == network.seds.map(\.sedId))
    }

    @Test("a listed envelope that differs from the sealed one refuses that SED alone (P-COMP-9)")
    func listedEnvelopeMustBeTheSealedOne() throws {
        let network = try Network()
        let path = network.path("item.mime")
        let message = CompoundMessage(from: NodeID("AP-BE")!, to: NodeID("CN")!, seds: network.seds)
        let first = network.seds[0].envelope.caseId
        let contentType = try message.write(to: path, signer: try network.key("AP-BE")) { xml in
            guard let range = xml.range(of: "<sed:CaseId>\(first)</sed:CaseId>") else { return xml }
            return xml.replacingCharacters(in: range, with: "<sed:CaseId>other-case</sed:CaseId>")
        }.contentType
        let read = try network.read(path, contentType: contentType)
        #expect(read.refused.map(\.sedId) == [network.seds[0].sedId])
        #expect(read.refused.first?.code == .protocolViolation)
        #expect(read.seds.map(\.sedId) == [network.seds[1].sedId])
    }

    @Test("one byte changed in a body, an envelope or the hop header is refused by the hop signature, naming it")
    func tamperedMessage() throws {
        let network = try Network()
        let (path, contentType) = try network.write(network.seds)
        let pristine = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: pristine, as: UTF8.self)
        // A base64 character of a ciphertext (in a binary part), a field of an envelope, the message id.
        let targets = [
            cipherTextOffset(in: text),
            text.utf8.distance(from: text.startIndex, to: text.range(of: "<sed:CaseId>")!.upperBound) + 2,
            text.utf8.distance(from: text.startIndex, to: text.range(of: "urn:uuid:")!.upperBound) + 2,
        ]
        for offset in targets {
            var bytes = pristine
            bytes[offset] = bytes[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            try bytes.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: SedgateError.self) { try network.read(path, contentType: contentType) }
            #expect(error?.code == .signatureInvalid, "\(String(describing: error))")
        }
    }

    @Test("a sealed SED changed on the way is refused on its own, even in a hop signed again (a CN cannot forge it)")
    func tamperedSealBehindValidHop() throws {
        let network = try Network()
        var forged = network.seds[0]
        let offset = cipherTextOffset(in: String(decoding: forged.bytes, as: UTF8.self))
        forged.bytes[offset] = forged.bytes[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let (path, contentType) = try network.write([forged, network.seds[1]], from: "CN", to: "AP-DK", signer: "CN")
        let message = try network.read(path, contentType: contentType)
        #expect(message.seds.map(\.sedId) == [network.seds[1].sedId], "the intact SED of the same message is taken")
        let refusal = try #require(message.refused.first)
        #expect(refusal.sedId == forged.sedId)
        #expect(refusal.reason.contains("signature-invalid") && refusal.reason.contains(forged.sedId.rawValue))
        #expect(refusal.reason.contains("altered after AP-BE signed it"), "\(refusal.reason)")
    }

    @Test("a hop signed by a node other than its wsa:From is refused")
    func wrongHopSigner() throws {
        let network = try Network()
        let (path, contentType) = try network.write(network.seds, from: "AP-BE", signer: "CN")
        let error = #expect(throws: SedgateError.self) { try network.read(path, contentType: contentType) }
        #expect(error?.code == .unauthorized)
        #expect(error?.message.contains("signed by CN") == true, "\(String(describing: error))")
    }

    @Test("a SED sealed for AP-DK is refused by AP-BE, which cannot open it, with a message that says so")
    func encryptedForAnotherAccessPoint() throws {
        let network = try Network()
        let error = #expect(throws: SedgateError.self) {
            try SealedSED.open(
                network.seds[0].bytes, trusting: try network.trust, key: try network.key("AP-BE"), source: "t")
        }
        #expect(error?.code == .unauthorized)
        #expect(error?.message.contains("encrypted for AP-DK") == true, "\(String(describing: error))")
    }

    @Test("the sealed form keeps the envelope readable and the body out of sight")
    func bodyNotInClear() throws {
        let network = try Network()
        let (path, _) = try network.write(network.seds)
        let onWire = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(onWire.contains(network.seds[0].sedId.rawValue))
        #expect(onWire.contains("<sed:Receiver>DK:0002</sed:Receiver>"))
        #expect(!onWire.contains("Peeters"), "the SED body (a family name) must not travel in clear")
        #expect(String(decoding: network.originals[0], as: UTF8.self).contains("Peeters"))
    }
}
