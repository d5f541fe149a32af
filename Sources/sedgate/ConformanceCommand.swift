// ConformanceCommand: `sedgate conformance --cn URL | --ap URL`: runs the Conformance suite against a node (of any
// make) and prints one line per check, or JSON; exits 0 only when every check passed.

import ArgumentParser
import CommandSupport
import Conformance
import Foundation
import Logging
import SedgateCore
import Transport

/// `sedgate conformance --cn URL --ca CA --key K --certificate C --recipient R [--json]`.
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Check that a node keeps the protocol article's rules, case by case.",
        discussion: """
            Drives the node at --cn or --ap over mutual TLS through every message, fault and fragment case of the
            protocol article (Sources/Transport/Transport.docc/Protocol.md) and prints PASS or FAIL with the rule's id
            for each check. Exit status 0 only when every check passed, 1 otherwise.

            Against a CN (--cn) the suite is one of its access points: --key and --certificate are that AP's (the CN
            must list it in its peers), and --recipient is the certificate of an AP the CN routes --receiver to.
            Against an AP (--ap) the suite is its CN: --key and --certificate are the CN's, --seal-key and
            --seal-certificate those of another AP (it seals the SEDs), --recipient the certificate of the AP under
            test. Certificates made by `sedgate pki` serve, e.g. for the demo topology:

              sedgate conformance --cn https://127.0.0.1:28443 --ca etc/demo/pki/ca.crt \\
                  --key etc/demo/pki/AP-BE.key --certificate etc/demo/pki/AP-BE.crt --recipient etc/demo/pki/AP-DK.crt
            """)

    @Option(help: "The base URL of a coordination node to test.")
    var cn: String?
    @Option(help: "The base URL of an access point to test.")
    var ap: String?
    @Option(help: "The network's CA certificate (PEM).")
    var ca: String
    @Option(help: "The private key the suite presents (PEM): an AP's against a CN, the CN's against an AP.")
    var key: String
    @Option(help: "The certificate the suite presents (PEM), issued for that node id.")
    var certificate: String
    @Option(help: "Against an AP: the private key of the access point that seals the SEDs (PEM).")
    var sealKey: String?
    @Option(help: "Against an AP: that access point's certificate (PEM).")
    var sealCertificate: String?
    @Option(help: "The certificate of the access point the SEDs are sealed for (PEM).")
    var recipient: String
    @Option(help: "The node id of the node under test (default: CN against a CN, the recipient's against an AP).")
    var node: String?
    @Option(help: "The institution the SEDs come from.")
    var sender = "BE:0001"
    @Option(help: "The institution the SEDs go to: one the recipient access point serves.")
    var receiver = "DK:0002"
    @Option(help: "An institution no access point serves (the CN's unknown-route case).")
    var unrouted = "IS:9999"
    @Flag(
        help: """
            Against a CN: the suite's AP is one the CN serves in pull mode, and serves --sender; the suite then also \
            sends itself large SEDs and pulls them fragment by fragment.
            """)
    var pull = false
    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard (cn == nil) != (ap == nil) else { throw ValidationError("give exactly one of --cn URL and --ap URL") }
        if ap != nil, sealKey == nil || sealCertificate == nil {
            throw ValidationError("against an AP, give --seal-key and --seal-certificate of another access point")
        }
        if let node, NodeID(node) == nil { throw ValidationError("--node '\(node)' is not a node id") }
    }

    func run() async throws {
        var options = ConformanceOptions(
            role: cn != nil ? .coordinationNode : .accessPoint, url: cn ?? ap ?? "",
            identity: TLSFiles(certificatePath: certificate, privateKeyPath: key, trustRootsPath: ca),
            recipientCertificate: recipient)
        if let sealKey, let sealCertificate {
            options.sealer = TLSFiles(certificatePath: sealCertificate, privateKeyPath: sealKey, trustRootsPath: ca)
        }
        options.node = node.flatMap(NodeID.init)
        options.sender = sender
        options.receiver = receiver
        options.unroutedReceiver = unrouted
        options.pull = pull
        var logger = Logger(label: "sedgate.conformance")
        logger.logLevel = .error
        let report: ConformanceReport
        do {
            report = try await ConformanceSuite.run(options, logger: logger)
        } catch {
            printError("sedgate conformance: \(error)")
            throw ExitCode(2)
        }
        print(json ? report.json : report.text)
        if !report.passed { throw ExitCode(1) }
    }
}
