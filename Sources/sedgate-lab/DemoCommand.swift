// DemoCommand: `sedgate demo`: starts the etc/demo topology (a CN and two access points on loopback),
// drops the sample SEDs in the senders' outbound spools, waits until each is delivered, prints what
// happened, and stops the nodes. Resets the demo spools first so it can run again and again.

import AccessPoint
import ArgumentParser
import CommandSupport
import CoordinationNode
import Documents
import Foundation
import NodeSetup
import SedgateCore
import SedgateTesting
import Spool

/// `sedgate demo`: a batch of sample SEDs crossing AP → CN → AP, end to end.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the etc/demo topology and send the sample SEDs across it.")
    @Option(help: "The demo configuration folder.")
    var etc: String = "etc/demo"
    @Option(help: "The sample SEDs to send.")
    var samples: String = "etc/samples"
    @Option(help: "Seconds to wait for every sample to be delivered.")
    var timeout: Int = 120

    func run() async throws {
        let files = ["cn.toml", "ap-be.toml", "ap-dk.toml"].map { "\(etc)/\($0)" }
        var nodes: [Topology.Node] = []
        for file in files {
            let configuration = try exitOnError { () throws(SedgateError) in try NodeConfiguration.load(file) }
            let (role, port) =
                switch configuration {
                case .accessPoint(let settings): ("ap", settings.port)
                case .coordinationNode(let settings): ("cn", settings.port)
                }
            nodes.append(
                Topology.Node(
                    id: configuration.node.rawValue, role: role, config: file, spool: configuration.spool, port: port))
        }
        try exitOnError { () throws(SedgateError) in try PKI.generate(in: "\(etc)/pki", nodes: nodes.map(\.id)) }
        for node in nodes {
            print("resetting \(node.spool.root)")
            try? FileManager.default.removeItem(atPath: node.spool.root)
            try exitOnError { () throws(SedgateError) in try node.spool.create() }
        }
        try loadDirectory(nodes)
        let topology = Topology(directory: "spool", executable: try nodeExecutable(), nodes: nodes)
        defer { topology.abandon() }
        for node in nodes {
            try await topology.start(node.id)
            print(
                "started \(node.id) (\(node.role)) on https://127.0.0.1:\(node.port), log spool/\(node.id.lowercased()).log"
            )
        }
        try await waitForDirectory(nodes)

        // Each sample goes to the access point of its sender's country.
        var sent: [(name: String, from: Topology.Node)] = []
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: samples))?.filter { $0.hasSuffix(".xml") }.sorted()
            ?? []
        for name in names {
            let bytes = try SpoolFile.read("\(samples)/\(name)", maxBytes: 16 << 20)
            let document = try exitOnError { () throws(SedgateError) in
                try SEDReader.read(bytes, source: "\(samples)/\(name)")
            }
            let country = document.envelope.sender.country.lowercased()
            guard let from = nodes.first(where: { $0.role == "ap" && $0.id.lowercased().hasSuffix("-" + country) })
            else {
                print("skipping \(name): no demo access point serves \(document.envelope.sender.country)")
                continue
            }
            // Commit by rename, as a national batch job should.
            try exitOnError { () throws(SedgateError) in
                try SpoolFile.writeAtomically(
                    bytes, to: "\(from.spool.outbound)/\(name)", tmpDirectory: from.spool.outbound)
            }
            sent.append((name, from))
            print("committed \(name) to \(from.spool.outbound)/")
        }
        guard !sent.isEmpty else {
            printError("sedgate demo: no sample SEDs in \(samples)")
            throw ExitCode(1)
        }
        do {
            try await Wait.until(
                "every sample to be delivered", timeout: .seconds(timeout), interval: .milliseconds(100)
            ) {
                sent.allSatisfy { sample in !reports(sample.from, sample.name, "delivered").isEmpty }
            }
        } catch {
            printError("sedgate demo: \(error); the nodes' logs are in spool/*.log")
            throw ExitCode(1)
        }
        print("")
        print(pad("SAMPLE", 44) + pad("SED ID", 38) + "STATES")
        for sample in sent {
            let states = ["accepted", "sent", "delivered"].filter { !reports(sample.from, sample.name, $0).isEmpty }
            let sedId =
                reports(sample.from, sample.name, "delivered").first.map {
                    String($0.split(separator: ".").dropLast(2).last ?? "")
                } ?? "?"
            print(pad(sample.name, 44) + pad(sedId, 38) + states.joined(separator: " → "))
        }
        print("")
        for node in nodes where node.role == "ap" {
            let inbound = ((try? FileManager.default.contentsOfDirectory(atPath: node.spool.inbound)) ?? []).sorted()
            print("\(node.spool.inbound)/ (\(inbound.count) files)")
            for file in inbound { print("  \(file)") }
        }
        await topology.stopAll()
        print("")
        print(
            "demo complete: \(sent.count) SEDs crossed AP → CN → AP exactly once; try `sedgate trace <SED ID> --config etc/demo/ap-be.toml`"
        )
    }

    /// The report files of one sample in one state.
    private func reports(_ node: Topology.Node, _ name: String, _ state: String) -> [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: node.spool.reports)) ?? []
        return all.filter { $0.hasPrefix(name + ".") && $0.hasSuffix(".\(state).json") }
    }
}
