// NodeSiteTests: the public directory site beside a running node (`[site] listen` in a CN's configuration), over the
// node's own directory shown without its operational fields; and `[site]` refused when it is wrong.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("The public site beside a node", .serialized)
struct NodeSiteTests {
    @Test("a CN with [site] listen serves the site from its directory, without the access points' fields")
    func siteBesideCoordinationNode() async throws {
        let binary = try SedgateBinary.path()
        let folder = try TemporaryDirectory("node-site")
        let sitePort = try Topology.freePort()
        let topology = try Topology(
            directory: folder.path, executable: binary, accessPoints: [],
            coordinationNodeSettings: """
                [conversions]
                directory = "\(PublicSiteFixture.conversions)"

                [site]
                listen = "127.0.0.1:\(sitePort)"
                base-url = "https://directory.example.eu"
                """)
        let config = topology.node("CN").config
        let imported = try await ChildProcess.run(
            binary, ["directory", "import", "--config", config, PublicSiteFixture.csv, "--why", "node site test"])
        #expect(imported.status == 0, "\(imported.output)")
        try await topology.start("CN")
        defer { topology.abandon() }
        try await Wait.until("the site to listen on \(sitePort)", timeout: .seconds(60)) {
            Topology.isListening(port: sitePort)
        }
        let page = try await ChildProcess.run(
            "/usr/bin/curl",
            ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(sitePort)/en/directory/de/sickness/DE:AOK"])
        #expect(page.output.hasSuffix("\n200"), "\(page.output)")
        #expect(page.output.contains("AOK Bavaria"), "\(page.output)")
        #expect(
            page.output.contains(
                "<link rel=\"alternate\" hreflang=\"de\" href=\"https://directory.example.eu/de/directory/de/sickness/DE:AOK\">"
            ), "the configured base-url in the alternates")
        #expect(!page.output.contains("AP-1") && !page.output.contains("ap-1.example"), "no operational field")
    }

    @Test("a [site] listen that is not HOST:PORT stops the node at start, naming the key")
    func badListenIsRefused() async throws {
        let binary = try SedgateBinary.path()
        let folder = try TemporaryDirectory("node-site-bad")
        let topology = try Topology(
            directory: folder.path, executable: binary, accessPoints: [],
            coordinationNodeSettings: "[site]\nlisten = \"8080\"\n")
        let outcome = try await ChildProcess.run(binary, ["cn", "--config", topology.node("CN").config])
        #expect(outcome.status != 0)
        #expect(outcome.output.contains("listen") && outcome.output.contains("HOST:PORT"), "\(outcome.output)")
    }
}
