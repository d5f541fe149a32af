// FuzzKeys: the throw-away PKI the wire targets verify and decrypt with, and the signed messages made from it.
//
// Keys are never committed, so seeds that must carry a valid signature are made here, at set-up, into the run's
// scratch corpus (SEDGATE_FUZZ_SEEDS); the PKI stays in SEDGATE_FUZZ_PKI (default .build/fuzz/pki) between runs.

import Documents
import Foundation
import SedgateCore
import SedgateTesting
import Transport
import WSSecurity

/// A CN and two APs of one demo PKI: AP-BE seals SEDs for AP-DK and the CN forwards them.
struct FuzzKeys {
    let directory: String
    let trust: TrustStore
    /// What AP-DK decodes and opens received messages with.
    let destination: CompoundCodec

    /// Makes the PKI if it is missing, then loads it.
    static func load() throws -> FuzzKeys {
        let directory =
            ProcessInfo.processInfo.environment["SEDGATE_FUZZ_PKI"] ?? repositoryRoot + "/.build/fuzz/pki"
        try PKI.generate(in: directory, nodes: ["CN", "AP-BE", "AP-DK"])
        return FuzzKeys(
            directory: directory, trust: try TrustStore(caFile: directory + "/ca.crt"),
            destination: try codec("AP-DK", directory))
    }

    static func codec(_ node: String, _ directory: String) throws -> CompoundCodec {
        try CompoundCodec(
            tls: TLSFiles(
                certificatePath: "\(directory)/\(node).crt", privateKeyPath: "\(directory)/\(node).key",
                trustRootsPath: directory + "/ca.crt"),
            temporaryDirectory: NSTemporaryDirectory())
    }

    /// Sealed SEDs from AP-BE for AP-DK: the samples of etc/samples, gzipped and not.
    func sealedSEDs() throws -> [SealedSED] {
        let signer = try NodeKey(privateKeyFile: directory + "/AP-BE.key", certificateFile: directory + "/AP-BE.crt")
        let recipient = try PeerCertificate(file: directory + "/AP-DK.crt")
        let samples = repositoryRoot + "/etc/samples"
        var sealed: [SealedSED] = []
        for (index, name) in try FileManager.default.contentsOfDirectory(atPath: samples).sorted().enumerated() {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: samples + "/" + name)))
            var envelope = try SEDReader.read(bytes, source: name).envelope
            envelope.receivingAP = NodeID("AP-DK")
            envelope.sendingAP = NodeID("AP-BE")
            let completed = try EnvelopeCompletion.completing(
                bytes, source: name,
                with: [.sedId: envelope.sedId?.rawValue ?? SEDID.random().rawValue, .sendingAP: "AP-BE"])
            envelope.sedId = completed.envelope.sedId
            sealed.append(
                try SealedSED.seal(
                    completed.bytes, envelope: envelope, compress: index % 2 == 0, signer: signer,
                    recipient: recipient))
        }
        return sealed
    }
}
