// SecurityFixtures: a throw-away PKI per test, a sample SOAP 1.2 envelope, byte-level tampering, and the xmlsec1
// command line tool (Debian's xmlsec1 package) as an independent verifier.

import Foundation
import SedgateCore
import SedgateTesting
import Testing
import WSSecurity

/// A CA with node certificates in a fresh temporary folder (removed with the value).
struct TestNetwork {
    /// The folder holding ca.crt, ca.key and <node>.crt / <node>.key.
    let directory: TemporaryDirectory

    /// Generates the CA and a certificate for each of `nodes`.
    init(nodes: [String] = ["AP-BE", "AP-DK"]) throws {
        directory = try TemporaryDirectory("security")
        try PKI.generate(in: directory.path, nodes: nodes)
    }

    /// The path of a file in the folder.
    func path(_ name: String) -> String {
        directory.appending(name)
    }

    /// A node's private key and certificate.
    func key(_ node: String) throws -> NodeKey {
        try NodeKey(privateKeyFile: path("\(node).key"), certificateFile: path("\(node).crt"))
    }

    /// A node's certificate, as a peer sees it.
    func certificate(_ node: String) throws -> PeerCertificate {
        try PeerCertificate(file: path("\(node).crt"))
    }

    /// The network's CA.
    func trust() throws -> TrustStore {
        try TrustStore(caFile: path("ca.crt"))
    }

    /// Writes `bytes` to a file in the folder and returns its path.
    func write(_ bytes: Data, to name: String) throws -> String {
        try bytes.write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }
}

/// SOAP 1.2 envelopes as the protocol sends them.
enum SampleEnvelope {
    static let soap = "http://www.w3.org/2003/05/soap-envelope"
    static let addressing = "http://www.w3.org/2005/08/addressing"
    static let wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

    /// An envelope with a wsa:MessageID header block (wsu:Id "header-1") and a Body (wsu:Id "body-1") holding
    /// `body` (e.g. an EncryptedData element).
    static func make(body: String, messageID: String = "urn:uuid:6f1c2a3e-8b7d-4c59-9e21-0a4b3c2d1e0f") -> Data {
        Data(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <soap:Envelope xmlns:soap="\(soap)" xmlns:wsa="\(addressing)" xmlns:wsu="\(wsu)">
              <soap:Header>
                <wsa:MessageID wsu:Id="header-1">\(messageID)</wsa:MessageID>
              </soap:Header>
              <soap:Body wsu:Id="body-1">\(body)</soap:Body>
            </soap:Envelope>

            """.utf8)
    }
}

extension Data {
    /// The text between the first `start` after `marker` and the next `end` (exclusive), as a range of bytes.
    func range(between start: String, and end: String, after marker: String = "") -> Range<Int>? {
        let text = Array(self)
        func find(_ needle: String, from: Int) -> Int? {
            let pattern = Array(needle.utf8)
            guard !pattern.isEmpty else { return from }
            var index = from
            while index + pattern.count <= text.count {
                if text[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
                index += 1
            }
            return nil
        }
        guard let anchor = find(marker, from: 0), let open = find(start, from: anchor) else { return nil }
        let lower = open + start.utf8.count
        guard let upper = find(end, from: lower) else { return nil }
        return lower..<upper
    }

    /// A copy with one base64 character inside `range` replaced by another base64 character.
    func flippingBase64Character(in range: Range<Int>) -> Data {
        var copy = self
        let index = range.lowerBound + range.count / 2
        copy[index] = copy[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        return copy
    }

    /// A copy with the first occurrence of `old` replaced by `new`.
    func replacingFirst(_ old: String, with new: String) -> Data {
        let text = String(decoding: self, as: UTF8.self)
        guard let range = text.range(of: old) else { return self }
        return Data(text.replacingCharacters(in: range, with: new).utf8)
    }
}

/// Debian's xmlsec1 command line tool.
enum XMLSec1 {
    /// Runs /usr/bin/xmlsec1 with `arguments`.
    static func run(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run("/usr/bin/xmlsec1", arguments)
    }

    /// `xmlsec1 --verify` of a signed envelope against the CA, with soap:Body and wsa:MessageID as id-carrying
    /// elements (wsu:Id is not a DTD ID, so the tool is told which attributes are ids).
    static func verify(_ file: String, ca: String) async throws -> ChildProcess.Outcome {
        try await run([
            "--verify", "--trusted-pem", ca,
            "--id-attr:Id", "\(SampleEnvelope.soap):Body",
            "--id-attr:Id", "\(SampleEnvelope.addressing):MessageID",
            file,
        ])
    }
}

/// The error `body` throws, or nil.
func sedgateError(_ body: () throws -> Void) -> SedgateError? {
    do {
        try body()
        return nil
    } catch let error as SedgateError {
        return error
    } catch {
        Issue.record("expected a SedgateError, got \(error)")
        return nil
    }
}
