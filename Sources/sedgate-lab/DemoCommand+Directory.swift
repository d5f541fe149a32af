// DemoCommand+Directory: the demo runs on the directory: etc/demo/directory.csv (with the certificates the demo PKI
// just issued) is loaded into the CN's master before the nodes start, and the samples wait until every AP's copy has it.

import CommandSupport
import Directory
import Foundation
import NodeSetup
import SedgateCore
import SedgateTesting

extension DemoCommand {
    /// Loads `<etc>/directory.csv` into the CN's directory, each access point with its demo certificate.
    func loadDirectory(_ nodes: [Topology.Node]) throws {
        guard let cn = nodes.first(where: { $0.role == "cn" }) else { return }
        let file = "\(etc)/directory.csv"
        guard let bytes = FileManager.default.contents(atPath: file) else { return }
        let store = try exitOnError { () throws(SedgateError) in
            try NodeConfiguration.loadWithDirectory(cn.config).directory.open()
        }
        let contents = DirectoryFile.read(Array(bytes), format: .csv, source: file)
        var proposals: [DirectoryProposal] = []
        for (_, var entry) in contents.entries {
            if entry.kind == .accessPoint,
                let pem = try? String(contentsOfFile: "\(etc)/pki/\(entry.id).crt", encoding: .utf8)
            {
                entry.fields["certificate"] = [pem]
            }
            proposals.append(.set(entry))
        }
        let serial = try exitOnError { () throws(SedgateError) in
            try store.apply(proposals, who: "sedgate demo", why: "the demo's directory")
        }
        print("loaded \(proposals.count) directory entries from \(file) into the CN (serial \(serial))")
    }

    /// Waits until every access point's copy of the directory has the CN's serial.
    func waitForDirectory(_ nodes: [Topology.Node]) async throws {
        guard let cn = nodes.first(where: { $0.role == "cn" }) else { return }
        let master = try exitOnError { () throws(SedgateError) in
            try NodeConfiguration.loadWithDirectory(cn.config).directory.open()
        }
        let target = try exitOnError { () throws(SedgateError) in try master.serial() }
        for node in nodes where node.role == "ap" {
            let copy = try exitOnError { () throws(SedgateError) in
                try NodeConfiguration.loadWithDirectory(node.config).directory.open()
            }
            try await Wait.until("\(node.id)'s directory copy", timeout: .seconds(60)) {
                ((try? copy.serial()) ?? 0) >= target
            }
            print("\(node.id) holds the directory (serial \(target))")
        }
    }
}
