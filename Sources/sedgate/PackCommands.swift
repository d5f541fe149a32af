// PackCommands: `sedgate pack` and `sedgate unpack`: compound SOAP 1.2 / MTOM files, signed and encrypted, made
// and opened offline (the same code the access points use on the wire). Reads SED files and keys; writes files.

import ArgumentParser
import CommandSupport
import Documents
import Foundation
import Packaging
import SedgateCore
import Spool
import Transport
import WSSecurity

/// `sedgate pack --from AP-BE --to AP-DK --key K --certificate C --recipient R --out FILE SED...`.
struct PackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack SED files into one compound message: signed by the sender, bodies encrypted for the receiver.",
        discussion: """
            Each SED must carry its envelope with a SedId. The message is written to --out as MIME multipart/related
            (MTOM/XOP); its Content-Type (with the boundary) is printed, and written to <out>.content-type.
            """)
    @Option(help: "The sending access point (signs).")
    var from: String
    @Option(help: "The receiving access point (the bodies are encrypted for its certificate).")
    var to: String
    @Option(help: "The sender's private key (PEM).")
    var key: String
    @Option(help: "The sender's certificate (PEM).")
    var certificate: String
    @Option(help: "The receiving access point's certificate (PEM).")
    var recipient: String
    @Flag(help: "Do not gzip the SED bodies before encryption.")
    var noCompression = false
    @Option(help: "The compound message file to write.")
    var out: String
    @Argument(help: "SED files (XML with an envelope).")
    var seds: [String]

    func run() async throws {
        guard let sender = NodeID(from), let receiver = NodeID(to) else {
            printError("sedgate pack: --from and --to must be node ids such as AP-BE")
            throw ExitCode(2)
        }
        let (header, written) = try exitOnError {
            () throws(SedgateError) -> (CompoundMessage, (contentType: String, size: Int64)) in
            let signer = try NodeKey(privateKeyFile: key, certificateFile: certificate)
            let recipientCertificate = try PeerCertificate(file: recipient)
            // One content key for the file's SEDs (a window, see ContentKeyWindows): one RSA-OAEP operation.
            let contentKeys = ContentKeyWindows()
            var sealed: [SealedSED] = []
            for path in seds {
                let bytes = try SpoolFile.read(path, maxBytes: SealedSED.maximumBytes)
                var envelope = try SEDReader.read(bytes, source: path).envelope
                envelope.sendingAP = envelope.sendingAP ?? sender
                envelope.receivingAP = envelope.receivingAP ?? receiver
                sealed.append(
                    try SealedSED.seal(
                        bytes, envelope: envelope, compress: !noCompression, signer: signer,
                        recipient: recipientCertificate, contentKeys: contentKeys))
            }
            let message = CompoundMessage(from: sender, to: receiver, seds: sealed)
            return (message, try message.write(to: out, signer: signer))
        }
        try Data(written.contentType.utf8).write(to: URL(fileURLWithPath: out + ".content-type"))
        print("\(out): \(header.seds.count) SEDs, \(written.size) bytes, \(sender) → \(receiver), \(header.messageID)")
        print("Content-Type: \(written.contentType)")
    }
}

/// `sedgate unpack --key K --certificate C --ca CA --out DIR FILE`.
struct UnpackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack",
        abstract: "Verify, decrypt and unpack a compound message into one file per SED.",
        discussion: """
            The signature is checked against --ca, the bodies decrypted with the receiving access point's key, and
            every SED checked against the header. Without --key, only the signature and header are checked and
            listed (what a coordination node sees). The Content-Type is read from <file>.content-type when present.
            """)
    @Option(help: "The receiving access point's private key (PEM); omit to verify and list only.")
    var key: String?
    @Option(help: "The receiving access point's certificate (PEM).")
    var certificate: String?
    @Option(help: "The network's CA certificate (PEM) that signer certificates must chain to.")
    var ca: String
    @Option(help: "The folder to write <SedId>.xml files to.")
    var out: String?
    @Argument(help: "The compound message file.")
    var file: String

    func run() async throws {
        let contentType = try? String(contentsOfFile: file + ".content-type", encoding: .utf8)
        let message = try exitOnError { () throws(SedgateError) -> CompoundMessage in
            let trust = try TrustStore(caFile: ca)
            let mime = try MTOMReader().read(file: file, contentType: contentType)
            return try CompoundMessage.read(mime, trusting: trust, source: file)
        }
        print("\(file): \(message.from) → \(message.to), \(message.messageID), hop signature verified")
        for refusal in message.refused {
            printError("  \(refusal.sedId)  REFUSED: \(refusal.reason)")
        }
        guard let key, let certificate else {
            for sed in message.seds {
                print("  \(sed.sedId)  \(sed.envelope.sedType)  \(sed.size) bytes, sealed by \(sed.signer ?? "?")")
            }
            try refusedExit(message)
            return
        }
        let folder = out ?? "."
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for sed in message.seds {
            let payload = try exitOnError { () throws(SedgateError) -> [UInt8] in
                let trust = try TrustStore(caFile: ca)
                let nodeKey = try NodeKey(privateKeyFile: key, certificateFile: certificate)
                return try SealedSED.open(sed.bytes, trusting: trust, key: nodeKey, source: "\(file), SED \(sed.sedId)")
                    .payload
            }
            let name = "\(folder)/\(sed.sedId).xml"
            try exitOnError { () throws(SedgateError) in
                try SpoolFile.writeAtomically(payload, to: name, durable: false)
            }
            print("  \(name)  \(payload.count) bytes")
        }
        try refusedExit(message)
    }

    /// A message with a refused SED is not a clean unpack: exit 1 (after the SEDs that verified were written),
    /// so a script notices.
    private func refusedExit(_ message: CompoundMessage) throws {
        guard message.refused.isEmpty else {
            printError(
                "\(file): \(message.refused.count) of \(message.refused.count + message.seds.count) SEDs refused")
            throw ExitCode(1)
        }
    }
}
