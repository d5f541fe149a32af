// SealingPoolTests: the SEDs of a message sealed, verified and opened side by side on the sealing pool come out in
// the order they went in, and verify, refuse and open exactly as one after another; a sealed SED signed with ECDSA
// verifies where the network accepts it.

import Documents
import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing
import Transport
import WSSecurity

@Suite("Sealing and opening on the sealing pool")
struct SealingPoolTests {
    /// Keys of AP-BE (RSA, and AP-EC with an EC P-256 key) sealing for AP-DK, and SEDs to seal.
    struct Keys {
        let directory: TemporaryDirectory
        let trust: TrustStore
        let recipient: PeerCertificate
        let receiver: NodeKey

        init() throws {
            directory = try TemporaryDirectory("sealing-pool")
            let pki = directory.appending("pki")
            try PKI.generate(in: pki, nodes: ["AP-BE", "AP-DK"])
            try PKI.generateEC(in: pki, node: "AP-EC")
            trust = try TrustStore(caFile: pki + "/ca.crt")
            recipient = try PeerCertificate(file: pki + "/AP-DK.crt")
            receiver = try NodeKey(privateKeyFile: pki + "/AP-DK.key", certificateFile: pki + "/AP-DK.crt")
        }

        func key(_ node: String) throws -> NodeKey {
            try NodeKey(
                privateKeyFile: directory.appending("pki/\(node).key"),
                certificateFile: directory.appending("pki/\(node).crt"))
        }

        /// `count` SEDs from `sender` for AP-DK: their bytes and envelopes.
        func items(_ count: Int, from sender: String = "AP-BE") throws -> [(payload: [UInt8], envelope: Envelope)] {
            try (0..<count).map { index in
                let bytes = SampleSED.make(sedId: .random(), size: 3_000, index: index, sendingAP: sender)
                var envelope = try SEDReader.read(bytes, source: "sample").envelope
                envelope.receivingAP = NodeID("AP-DK")
                return (bytes, envelope)
            }
        }
    }

    /// The compound message carrying `seds`, written by AP-BE and read back through MIME.
    private static func roundTrip(_ seds: [SealedSED], keys: Keys) throws -> MTOMMessage {
        let encoded = try CompoundMessage(from: NodeID("AP-BE")!, to: NodeID("CN")!, seds: seds)
            .encode(signer: try keys.key("AP-BE"))
        return try MTOMReader().read(data: Data(encoded.body), contentType: encoded.contentType)
    }

    @Test("SEDs sealed on the pool keep their order, and the pool's reading equals the one-by-one reading")
    func parallelSealingKeepsOrder() async throws {
        let keys = try Keys()
        let signer = try keys.key("AP-BE")
        let recipient = keys.recipient
        let items = try keys.items(9)
        // A pool of its own with three threads: nine SEDs in three runs.
        let pool = SealingPool(threads: 3)
        let seds = try await pool.map(items) { (item) throws(SedgateError) in
            try SealedSED.seal(item.payload, envelope: item.envelope, signer: signer, recipient: recipient)
        }
        try await pool.shutdown()
        #expect(seds.map(\.sedId) == items.map { $0.envelope.sedId! })
        let message = try Self.roundTrip(seds, keys: keys)
        let serial = try CompoundMessage.read(message, trusting: keys.trust, source: "serial")
        let parallel = try await CompoundMessage.read(
            message, trusting: keys.trust, source: "serial", on: SealingPool.shared)
        #expect(parallel == serial)
        #expect(parallel.seds.map(\.sedId) == items.map { $0.envelope.sedId! })
        #expect(parallel.seds.map(\.bytes) == seds.map(\.bytes))
        #expect(parallel.refused.isEmpty)

        let receiver = keys.receiver
        let opened = await SealingPool.shared.results(parallel.seds) { (sealed) throws(SedgateError) in
            try SealedSED.open(verified: sealed, key: receiver, source: "parallel").payload
        }
        #expect(try opened.map { try $0.get() } == items.map(\.payload))
    }

    @Test("a broken seal among others: the pool refuses the same SED, for the same reason, as the serial reading")
    func parallelRefusalMatchesSerial() async throws {
        let keys = try Keys()
        let signer = try keys.key("AP-BE")
        var seds = try keys.items(5).map { item in
            try SealedSED.seal(item.payload, envelope: item.envelope, signer: signer, recipient: keys.recipient)
        }
        // One base64 character of the third SED's ciphertext changed: its sender's signature no longer holds.
        var text = String(decoding: seds[2].bytes, as: UTF8.self)
        let end = try #require(text.range(of: "</xenc:CipherValue>", options: .backwards)).lowerBound
        let index = text.index(end, offsetBy: -10)
        text.replaceSubrange(index...index, with: text[index] == "A" ? "B" : "A")
        seds[2].bytes = Data(text.utf8)
        let message = try Self.roundTrip(seds, keys: keys)
        let serial = try CompoundMessage.read(message, trusting: keys.trust, source: "message")
        let parallel = try await CompoundMessage.read(
            message, trusting: keys.trust, source: "message", on: SealingPool.shared)
        #expect(parallel == serial)
        #expect(parallel.refused.map(\.sedId) == [seds[2].sedId])
        #expect(parallel.refused.first?.code == .signatureInvalid)
        #expect(parallel.seds.map(\.sedId) == [0, 1, 3, 4].map { seds[$0].sedId })
    }

    @Test("a SED sealed by an EC key verifies and opens where ECDSA is accepted, and is refused by default")
    func ecdsaSealedSED() throws {
        let keys = try Keys()
        let item = try #require(try keys.items(1, from: "AP-EC").first)
        let sealed = try SealedSED.seal(
            item.payload, envelope: item.envelope, signer: try keys.key("AP-EC"), recipient: keys.recipient)
        let opened = try SealedSED.open(
            sealed.bytes, trusting: keys.trust, accepting: [.rsaSHA256, .ecdsaSHA256], key: keys.receiver,
            source: "ec")
        #expect(opened.payload == item.payload)
        #expect(opened.sealed.signer == "AP-EC")
        let refused = #expect(throws: SedgateError.self) {
            _ = try SealedSED.verify(sealed.bytes, trusting: keys.trust, source: "ec")
        }
        #expect(refused?.code == .protocolViolation)
    }

    @Test("a node's codec seals, decodes and opens a batch on the pool; ECDSA hops and seals only where negotiated")
    func codecOnThePool() async throws {
        let keys = try Keys()
        let pki = keys.directory.appending("pki")
        func codec(_ node: String) throws -> CompoundCodec {
            try CompoundCodec(
                tls: TLSFiles(
                    certificatePath: "\(pki)/\(node).crt", privateKeyPath: "\(pki)/\(node).key",
                    trustRootsPath: "\(pki)/ca.crt"),
                temporaryDirectory: keys.directory.path)
        }
        let sender = try codec("AP-EC")
        let items = try keys.items(6, from: "AP-EC")
        let seds = try await sender.seal(
            items.map { ($0.payload, $0.envelope, keys.recipient) }, on: SealingPool.shared)
        #expect(seds.map(\.sedId) == items.map { $0.envelope.sedId! })
        let encoded = try sender.encode(CompoundMessage(from: NodeID("AP-EC")!, to: NodeID("AP-DK")!, seds: seds))

        var receiver = try codec("AP-DK")
        let refused = await #expect(throws: SedgateError.self) {
            _ = try await receiver.decodeMessage(
                encoded.body, contentType: encoded.contentType, source: "default", on: SealingPool.shared)
        }
        #expect(refused?.code == .protocolViolation)
        receiver.acceptedSignatures = [.rsaSHA256, .ecdsaSHA256]
        let serial = try receiver.decodeMessage(encoded.body, contentType: encoded.contentType, source: "message")
        let parallel = try await receiver.decodeMessage(
            encoded.body, contentType: encoded.contentType, source: "message", on: SealingPool.shared)
        #expect(parallel.compound == serial.compound)
        let compound = try #require(parallel.compound)
        #expect(compound.refused.isEmpty)
        let opened = await receiver.open(compound.seds, source: "message", on: SealingPool.shared)
        #expect(try opened.map { try $0.get() } == items.map(\.payload))
    }
}
