// SignedMessage: the framing of the directory's replication messages. The first line names the signer and carries
// a SHA-256 signature (base64) of the bytes after it: `SEDGATE-SIGNED 1 <node> <signature>\n<JSON>`. The CN signs
// snapshots and changes; an AP signs the changes it asks for. Mutual TLS says who is on the line; the signature
// says who wrote the content, wherever it is kept or relayed.

public import Foundation
public import SedgateCore
import WSSecurity

/// A signed message: signer, signature and the signed body.
public struct SignedMessage: Sendable {
    public var signer: NodeID
    public var signature: [UInt8]
    public var body: [UInt8]

    /// Signs `body` as `signer` with the PEM private key `keyPEM`.
    public init(signing body: [UInt8], as signer: NodeID, keyPEM: Data) throws(SedgateError) {
        self.signer = signer
        self.body = body
        self.signature = try DetachedSignature.sign(body, keyPEM: keyPEM)
    }

    /// Splits a received message; throws `.protocolViolation` when it is not framed as one.
    public init(bytes: [UInt8]) throws(SedgateError) {
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            throw SedgateError(.protocolViolation, "the directory message has no signature line")
        }
        let words = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
        guard words.count == 4, words[0] == "SEDGATE-SIGNED", words[1] == "1", let signer = NodeID(String(words[2])),
            let signature = Data(base64Encoded: String(words[3]))
        else {
            throw SedgateError(
                .protocolViolation, "the directory message's first line is not 'SEDGATE-SIGNED 1 <node> <base64>'")
        }
        self.signer = signer
        self.signature = Array(signature)
        self.body = Array(bytes[(newline + 1)...])
    }

    /// The message on the wire.
    public var bytes: [UInt8] {
        Array("SEDGATE-SIGNED 1 \(signer) \(Data(signature).base64EncodedString())\n".utf8) + body
    }

    /// Whether one of `certificates` (PEM) signed the body.
    public func isSigned(byOneOf certificates: [Data]) -> Bool {
        certificates.contains { DetachedSignature.verify(signature, of: body, certificatePEM: $0) }
    }
}
