// PKICommand: `sedgate pki`: makes the demo CA and node certificates with OpenSSL (never committed).

import ArgumentParser
import CommandSupport
import SedgateCore
import SedgateTesting

/// `sedgate pki --directory etc/demo/pki --nodes CN,AP-BE,AP-DK`.
struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki", abstract: "Make a demo CA and one certificate per node (skips what exists).")
    @Option(help: "Where to write ca.crt, ca.key and <NODE>.crt/.key.")
    var directory: String = "etc/demo/pki"
    @Option(help: "Comma-separated node ids.")
    var nodes: String = "CN,AP-BE,AP-DK"

    func run() async throws {
        let list = nodes.split(separator: ",").map(String.init)
        try exitOnError { () throws(SedgateError) in try PKI.generate(in: directory, nodes: list) }
        print("certificates for \(list.joined(separator: ", ")) are in \(directory)")
    }
}
