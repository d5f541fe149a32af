// KeyLoadingTests: keys, certificates and trust stores load from the PEM files a node is configured with, and a
// wrong file is refused with a message that names the problem.

import Foundation
import SedgateCore
import Testing
import WSSecurity

@Suite("Keys and certificates")
struct KeyLoadingTests {
    @Test("a node key names its common name; a peer certificate names the peer's")
    func commonNames() throws {
        let network = try TestNetwork()
        #expect(try network.key("AP-BE").commonName == "AP-BE")
        #expect(try network.certificate("AP-DK").commonName == "AP-DK")
    }

    @Test("a private key with another node's certificate is refused")
    func mismatchedKeyIsRefused() throws {
        let network = try TestNetwork()
        let error = sedgateError {
            _ = try NodeKey(privateKeyFile: network.path("AP-BE.key"), certificateFile: network.path("AP-DK.crt"))
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("does not belong to the certificate of AP-DK") == true)
    }

    @Test("missing files and files without PEM are refused as configuration errors naming the file")
    func badFilesAreRefused() throws {
        let network = try TestNetwork()
        let missing = sedgateError { _ = try TrustStore(caFile: network.path("nope.crt")) }
        #expect(missing?.code == .configuration)
        #expect(missing?.message.contains("nope.crt") == true)
        #expect(sedgateError { _ = try TrustStore(caPEM: Data("not a certificate".utf8)) }?.code == .configuration)
        #expect(sedgateError { _ = try PeerCertificate(file: network.path("AP-BE.key")) }?.code == .configuration)
        let keyAsCertificate = sedgateError {
            _ = try NodeKey(privateKeyFile: network.path("AP-BE.crt"), certificateFile: network.path("AP-BE.crt"))
        }
        #expect(keyAsCertificate?.code == .configuration)
    }
}
