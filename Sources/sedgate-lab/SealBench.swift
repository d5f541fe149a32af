// SealBench: `sedgate bench seal`: the cost of each step of sealing and opening one SED (gzip, encrypt, sign,
// verify, decrypt, gunzip), in microseconds per SED, in one process. A measurement, not a test.

import ArgumentParser
import CommandSupport
import Documents
import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Transport
import WSSecurity

/// `sedgate bench seal [--seds 2000] [--size 5000] [--key rsa|ec]`.
struct SealBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract:
            "CPU microseconds per SED for each step of sealing and opening (gzip, encrypt, sign, verify, decrypt).")
    @Option(help: "How many SEDs to seal and open.")
    var seds: Int = 2000
    @Option(help: "Approximate size of each SED in bytes.")
    var size: Int = 5_000
    @Option(help: "The sender's key: rsa (RSA-2048, RSA-SHA256 signatures) or ec (P-256, ECDSA-SHA256 signatures).")
    var key: SignerKeyType = .rsa

    func run() async throws {
        let directory = try TemporaryDirectory("bench-seal")
        let pki = directory.appending("pki")
        try key.generate(in: pki, sender: "AP-BE", receiver: "AP-DK")
        let keys = try exitOnError { () throws(SedgateError) in try Keys(pki: pki) }
        print(
            "sedgate bench seal: \(seds) SEDs of ~\(size) bytes, sender key \(key.description), receiver key "
                + "RSA-2048, one thread")
        var lines = try exitOnError { () throws(SedgateError) in try measure(keys) }
        // ECDSA P-256 beside RSA-2048: the same sealed SEDs signed through xmlsec by each key type, and verified.
        try PKI.generateEC(in: pki, node: "AP-EC")
        lines += try exitOnError { () throws(SedgateError) in try measureSignatures(signer: keys.signer, keys) }
        lines += try exitOnError { () throws(SedgateError) in
            try measureSignatures(
                signer: NodeKey(privateKeyFile: pki + "/AP-EC.key", certificateFile: pki + "/AP-EC.crt"), keys)
        }
        for (label, microseconds) in lines {
            print(
                String(
                    format: "  %@ %8.1f µs of CPU per SED", label.padding(toLength: 44, withPad: " ", startingAt: 0),
                    microseconds))
        }
    }

    /// The keys of a sender (AP-BE) and a recipient (AP-DK), and the CA both chain to.
    struct Keys {
        let signer: NodeKey
        let recipient: PeerCertificate
        let receiverKey: NodeKey
        let trust: TrustStore

        init(pki: String) throws(SedgateError) {
            signer = try NodeKey(privateKeyFile: pki + "/AP-BE.key", certificateFile: pki + "/AP-BE.crt")
            recipient = try PeerCertificate(file: pki + "/AP-DK.crt")
            receiverKey = try NodeKey(privateKeyFile: pki + "/AP-DK.key", certificateFile: pki + "/AP-DK.crt")
            trust = try TrustStore(caFile: pki + "/ca.crt")
        }
    }

    /// Signing and verifying a sealed SED with `signer`'s key (ECDSA for an EC key), CPU microseconds per SED.
    func measureSignatures(signer: NodeKey, _ keys: Keys) throws(SedgateError) -> [(String, Double)] {
        let bytes = SampleSED.make(sedId: .random(), size: size, index: 0, sendingAP: "AP-BE")
        var envelope = try SEDReader.read(bytes, source: "bench").envelope
        envelope.receivingAP = NodeID("AP-DK")
        let sealed = try SealedSED.seal(bytes, envelope: envelope, signer: keys.signer, recipient: keys.recipient)
        // The sealed SED without its signature: what a sender signs.
        let text = String(decoding: sealed.bytes, as: UTF8.self)
        guard let header = text.range(of: "<wsse:Security"), let end = text.range(of: "</wsse:Security>") else {
            throw SedgateError(.io, "the sealed SED has no wsse:Security header to take off")
        }
        let unsigned = Data((text[..<header.lowerBound] + text[end.upperBound...]).utf8)
        let name = signer.signatureAlgorithm == .ecdsaSHA256 ? "ECDSA-P256-SHA256" : "RSA-SHA256"
        var signed = Data()
        var start = processCPUSeconds()
        for _ in 0..<seds { signed = try MessageSignature.sign(unsigned, ids: ["sed", "body"], with: signer) }
        let sign = (processCPUSeconds() - start) * 1e6 / Double(seds)
        start = processCPUSeconds()
        for _ in 0..<seds {
            _ = try MessageSignature.verify(signed, trusting: keys.trust, accepting: [.rsaSHA256, .ecdsaSHA256])
        }
        let verify = (processCPUSeconds() - start) * 1e6 / Double(seds)
        return [("sign a sealed SED (\(name))", sign), ("verify it (\(name))", verify)]
    }

    /// Each step run `seds` times; microseconds per run.
    func measure(_ keys: Keys) throws(SedgateError) -> [(String, Double)] {
        var payloads: [(envelope: Envelope, bytes: [UInt8])] = []
        for index in 0..<seds {
            let bytes = SampleSED.make(sedId: .random(), size: size, index: index, sendingAP: "AP-BE")
            var envelope = try SEDReader.read(bytes, source: "bench").envelope
            envelope.receivingAP = NodeID("AP-DK")
            payloads.append((envelope, bytes))
        }
        var results: [(String, Double)] = []
        func time<T>(_ label: String, _ body: (Int) throws(SedgateError) -> T) throws(SedgateError) -> [T] {
            var outputs: [T] = []
            outputs.reserveCapacity(seds)
            // CPU time, not wall time: the figure holds on a shared machine (everything runs on this thread).
            let start = processCPUSeconds()
            for index in 0..<seds { outputs.append(try body(index)) }
            let seconds = processCPUSeconds() - start
            results.append((label, seconds * 1e6 / Double(seds)))
            return outputs
        }
        let zipped = try time("gzip (level \(Gzip.defaultLevel))") { (index) throws(SedgateError) in
            Gzip.compress(Data(payloads[index].bytes))
        }
        let encrypted = try time("encrypt (AES-256-GCM + RSA-OAEP key)") { (index) throws(SedgateError) in
            try BodyEncryption.encrypt(zipped[index], id: "ed", for: keys.recipient)
        }
        let sealed = try time("seal (gzip + encrypt + sign), SealedSED.seal") { (index) throws(SedgateError) in
            try SealedSED.seal(
                payloads[index].bytes, envelope: payloads[index].envelope, signer: keys.signer,
                recipient: keys.recipient)
        }
        let algorithms = Set(SignatureAlgorithm.allCases)
        _ = try time("verify, MessageSignature.verify") { (index) throws(SedgateError) in
            try MessageSignature.verify(sealed[index].bytes, trusting: keys.trust, accepting: algorithms)
        }
        let verified = try time("verify + read, SealedSED.verify") { (index) throws(SedgateError) in
            try SealedSED.verify(sealed[index].bytes, trusting: keys.trust, accepting: algorithms, source: "bench")
        }
        _ = try time("decrypt (RSA-OAEP key + AES-256-GCM)") { (index) throws(SedgateError) in
            try BodyEncryption.decrypt(encrypted[index], with: keys.receiverKey)
        }
        _ = try time("gunzip") { (index) throws(SedgateError) in try Gzip.decompress(zipped[index], limit: 64 << 20) }
        _ = try time("open (verify + decrypt + gunzip + read SED)") { (index) throws(SedgateError) in
            try SealedSED.open(
                verified[index].bytes, trusting: keys.trust, accepting: algorithms, key: keys.receiverKey,
                source: "bench")
        }
        return results
    }
}
