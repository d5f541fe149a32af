// WireTargets: what a node does with a request or reply body: SOAP 1.2 decoding, the MTOM compound and fragment
// messages with their WS-Security signatures, and a sealed SED's signature, decryption and inner SED.

import Documents
import Foundation
import Packaging
import SedgateCore
import Transport
import WSSecurity

/// The SOAP and WS-Security targets.
enum WireTargets {
    /// A protocol message: the input's first line is the HTTP Content-Type, the rest the body, read as the server
    /// (`MessageExchange`) and the client read them: multipart bodies through `CompoundCodec.decodeMessage` (MTOM,
    /// XOP, hop and end-to-end signatures), others through `SOAPCodec.decode`. A verified SED is then opened.
    static let soap = FuzzTarget(
        name: "soap",
        summary: "SOAP 1.2 / MTOM message: first line Content-Type, then the body; decode, verify, open",
        prepare: {
            let keys = try FuzzKeys.load()
            return { bytes in
                let (contentType, body) = splitFirstLine(bytes)
                guard contentType.lowercased().hasPrefix("multipart/") else {
                    _ = try? SOAPCodec.decode(body, source: "fuzz")
                    return
                }
                guard let message = try? keys.destination.decodeMessage(body, contentType: contentType, source: "fuzz")
                else { return }
                for sealed in message.compound?.seds ?? [] {
                    _ = try? keys.destination.open(sealed, source: "fuzz")
                }
            }
        },
        writeSeeds: { folder in
            let keys = try FuzzKeys.load()
            let forwarder = try FuzzKeys.codec("CN", keys.directory)
            let sealed = try keys.sealedSEDs()
            var seeds: [(String, String, [UInt8])] = []
            let compound = try forwarder.encode(
                CompoundMessage(from: NodeID("CN")!, to: NodeID("AP-DK")!, seds: sealed))
            seeds.append(("compound", compound.contentType, compound.body))
            let one = try forwarder.encode(
                CompoundMessage(from: NodeID("CN")!, to: NodeID("AP-DK")!, seds: [sealed[0]]))
            seeds.append(("compound-one", one.contentType, one.body))
            let fragment = try forwarder.encode(
                FragmentMessage(
                    from: NodeID("CN")!, to: NodeID("AP-DK")!, sedId: sealed[0].sedId, index: 1, count: 3,
                    data: Data((0..<300).map { UInt8($0 & 0xFF) })))
            seeds.append(("fragment", fragment.contentType, fragment.body))
            for (name, contentType, body) in seeds {
                try Data(Array((contentType + "\n").utf8) + body).write(
                    to: URL(fileURLWithPath: "\(folder)/generated-\(name)"))
            }
        })

    /// A sealed SED as the destination AP receives it: verify its signature (the CN does only this), decrypt,
    /// decompress and read the SED inside. A peer holding any certificate of the network can sign what it likes,
    /// so the body's xenc:EncryptedData is also decrypted on its own, as if its signature had passed.
    static let wsse = FuzzTarget(
        name: "wsse",
        summary: "sealed SED: WS-Security signature verification, XML Encryption decryption, gunzip, SED inside",
        prepare: {
            let keys = try FuzzKeys.load()
            return { bytes in
                let data = Data(bytes)
                _ = try? keys.destination.open(
                    try SealedSED.verify(data, trusting: keys.trust, source: "fuzz"), source: "fuzz")
                guard let tree = try? XMLTree.parse(bytes, source: "fuzz") else { return }
                let body = tree.root.firstChild("Body", namespace: "http://www.w3.org/2003/05/soap-envelope")
                if let element = body?.firstChild("EncryptedData", namespace: XOP.xmlEncryptionNamespace),
                    let encrypted = element.standaloneBytes()
                {
                    _ = try? BodyEncryption.decrypt(Data(encrypted), with: keys.destination.key)
                }
            }
        },
        writeSeeds: { folder in
            for (index, sealed) in try FuzzKeys.load().sealedSEDs().enumerated() {
                try sealed.bytes.write(to: URL(fileURLWithPath: "\(folder)/generated-sealed-\(index)"))
            }
        })
}
