// DirectoryTopologyTests: a CN and three APs (two serving Germany, one France) with no [routes]: SEDs go by
// institution from the directory alone; an unknown institution is refused at intake naming its address; an AP's
// change to another country is refused and logged, its own reaches the other APs without a restart; an AP stopped
// during ten changes catches up; a certificate rollover with SEDs flowing loses none.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("The directory routes a CN and three APs", .serialized)
struct DirectoryTopologyTests {
    let binary: String
    let folder: TemporaryDirectory
    let topology: Topology

    init() throws {
        binary = try SedgateBinary.path()
        folder = try TemporaryDirectory("directory-topology")
        topology = try Topology(
            directory: folder.path, executable: binary,
            accessPoints: [("AP-DE1", "DE"), ("AP-DE2", "DE"), ("AP-FR", "FR")], routes: false)
    }

    func sedgate(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(binary, arguments)
    }

    func config(_ id: String) -> String { topology.node(id).config }

    /// The CSV that loads the directory: three APs with their certificates, and one institution per AP.
    func directoryFile() throws -> String {
        func pem(_ id: String) throws -> String {
            try String(contentsOfFile: "\(folder.path)/pki/\(id).crt", encoding: .utf8)
        }
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var lines = ["kind,id,url,mode,country,certificate,name.de,name.fr,ap,city.en,sector,function"]
        for (id, country) in [("AP-DE1", "DE"), ("AP-DE2", "DE"), ("AP-FR", "FR")] {
            let url = "https://127.0.0.1:\(topology.node(id).port)"
            lines.append("ap,\(id),\(url),push,\(country),\(quoted(try pem(id))),,,,,,")
        }
        lines.append("ci,DE:AOK,,,,,AOK Bayern,,AP-DE1,München,S,CI")
        lines.append("ci,DE:TK,,,,,Techniker Krankenkasse,,AP-DE2,Hamburg,S,CI|EHIC")
        lines.append("ci,FR:CPAM,,,,,,Caisse primaire,AP-FR,Paris,S,CI")
        let path = folder.appending("directory.csv")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Commits a SED from `node` to `receiver`; returns its file name.
    @discardableResult
    func commit(from node: String, sender: String, to receiver: String, name: String, index: Int = 0) throws -> String {
        let spool = topology.node(node).spool
        let bytes = SampleSED.make(sedId: SEDID.random(), sender: sender, receiver: receiver, size: 2_000, index: index)
        let hidden = "\(spool.outbound)/.\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: hidden))
        #expect(rename(hidden, "\(spool.outbound)/\(name)") == 0)
        return name
    }

    func inbound(_ node: String) -> Int {
        let folder = topology.node(node).spool.inbound
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".xml") }
            .count
    }

    /// Waits until `node`'s copy of the directory has `id`.
    func waitForEntry(_ id: String, at node: String) async throws {
        try await Wait.until(
            "\(node)'s directory copy to hold \(id)", timeout: .seconds(120), interval: .milliseconds(200)
        ) {
            try await sedgate(["directory", "show", "--config", config(node), id]).status == 0
        }
    }

    @Test func routesByInstitutionFromTheDirectoryAloneAndReplicatesChanges() async throws {
        let imported = try await sedgate([
            "directory", "import", "--config", config("CN"), try directoryFile(), "--why", "initial load",
        ])
        #expect(imported.status == 0, "\(imported.output)")
        try await topology.startAll()
        defer { topology.abandon() }
        for node in ["AP-DE1", "AP-DE2", "AP-FR"] { try await waitForEntry("FR:CPAM", at: node) }

        // Two institutions of one country, served by different APs; an unknown one refused at intake.
        try commit(from: "AP-FR", sender: "FR:CPAM", to: "DE:AOK", name: "to-aok.xml")
        try commit(from: "AP-FR", sender: "FR:CPAM", to: "DE:TK", name: "to-tk.xml")
        try commit(from: "AP-FR", sender: "FR:CPAM", to: "DE:NOBODY", name: "to-nobody.xml")
        try await Wait.until("a SED at AP-DE1 and one at AP-DE2", timeout: .seconds(120)) {
            inbound("AP-DE1") == 1 && inbound("AP-DE2") == 1
        }
        let rejected = topology.node("AP-FR").spool.rejected
        try await Wait.until("the SED for DE:NOBODY to be refused", timeout: .seconds(60)) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: rejected)) ?? []
            return names.contains { $0.hasPrefix("to-nobody.xml") && $0.hasSuffix(".error") }
        }
        let reasons = try FileManager.default.contentsOfDirectory(atPath: rejected).filter { $0.hasSuffix(".error") }
            .map { try String(contentsOfFile: "\(rejected)/\($0)", encoding: .utf8) }.joined()
        #expect(reasons.contains("unknown-route") && reasons.contains("DE:NOBODY"), "\(reasons)")

        // An AP may change only its own countries' institutions; the attempt is refused and logged at the CN.
        let foreign = try await sedgate([
            "directory", "set", "--config", config("AP-FR"), "--id", "DE:EVIL", "--field", "name.de=Evil",
            "--field", "ap=AP-FR", "--field", "city.en=Berlin", "--field", "sector=S", "--field", "function=CI",
            "--why", "test",
        ])
        #expect(foreign.status != 0)
        #expect(foreign.output.contains("may change institutions of FR only"), "\(foreign.output)")
        let refusals = try await sedgate(["directory", "refusals", "--config", config("CN")])
        #expect(refusals.output.contains("AP-FR") && refusals.output.contains("DE:EVIL"), "\(refusals.output)")

        // Its own change reaches the other APs' copies without a restart, and routes at once.
        let own = try await sedgate([
            "directory", "set", "--config", config("AP-FR"), "--id", "FR:CAF", "--field", "name.fr=CAF de Lyon",
            "--field", "ap=AP-FR", "--field", "city.en=Lyon", "--field", "sector=FB", "--field", "function=CI",
            "--why", "new institution",
        ])
        #expect(own.status == 0, "\(own.output)")
        try await waitForEntry("FR:CAF", at: "AP-DE1")
        try await waitForEntry("FR:CAF", at: "AP-DE2")
        let history = try await sedgate(["directory", "history", "--config", config("CN"), "FR:CAF"])
        #expect(history.output.contains("AP-FR") && history.output.contains("new institution"))
        try commit(from: "AP-DE1", sender: "DE:AOK", to: "FR:CAF", name: "to-caf.xml")
        try await Wait.until("the SED for FR:CAF at AP-FR", timeout: .seconds(120)) { inbound("AP-FR") == 1 }

        // An AP stopped during ten changes catches up when it starts again.
        await topology.kill("AP-DE2", signal: SIGTERM)
        for index in 1...10 {
            let change = try await sedgate([
                "directory", "set", "--config", config("AP-FR"), "--id", "FR:C\(index)",
                "--field", "name.fr=Caisse \(index)", "--field", "ap=AP-FR", "--field", "city.en=Nantes",
                "--field", "sector=S", "--field", "function=CI", "--why", "change \(index)",
            ])
            #expect(change.status == 0, "\(change.output)")
        }
        try await topology.start("AP-DE2")
        try await waitForEntry("FR:C10", at: "AP-DE2")
        for index in 1...9 {
            #expect(try await sedgate(["directory", "show", "--config", config("AP-DE2"), "FR:C\(index)"]).status == 0)
        }
    }

    @Test func aCertificateRolloverLosesNoSED() async throws {
        let imported = try await sedgate([
            "directory", "import", "--config", config("CN"), try directoryFile(), "--why", "initial load",
        ])
        #expect(imported.status == 0, "\(imported.output)")
        try await topology.startAll()
        defer { topology.abandon() }
        try await waitForEntry("DE:AOK", at: "AP-FR")
        // The renewed certificate of AP-DE1: same key, issued now, so it became valid after the old one.
        let pki = folder.appending("pki")
        try await Task.sleep(for: .seconds(1))
        let request = try await ChildProcess.run(
            "/usr/bin/openssl",
            ["req", "-new", "-key", "\(pki)/AP-DE1.key", "-subj", "/CN=AP-DE1", "-out", "\(pki)/renewed.csr"])
        #expect(request.status == 0, "\(request.output)")
        let issued = try await ChildProcess.run(
            "/usr/bin/openssl",
            [
                "x509", "-req", "-in", "\(pki)/renewed.csr", "-CA", "\(pki)/ca.crt", "-CAkey", "\(pki)/ca.key",
                "-CAcreateserial", "-days", "400", "-out", "\(pki)/renewed.crt",
            ])
        #expect(issued.status == 0, "\(issued.output)")
        let renewed = try String(contentsOfFile: "\(pki)/renewed.crt", encoding: .utf8)
        let sealing = topology.node("AP-FR").spool.varDirectory + "/directory/certificates/AP-DE1.crt"

        var sent = 0
        func send(_ count: Int) throws {
            for _ in 0..<count {
                try commit(from: "AP-FR", sender: "FR:CPAM", to: "DE:AOK", name: "roll-\(sent).xml", index: sent)
                sent += 1
            }
        }
        try send(10)
        // Both certificates listed: senders seal for the newer, SEDs sealed for the older still open.
        let overlap = try await sedgate([
            "directory", "set", "--config", config("CN"), "--kind", "ap", "--id", "AP-DE1",
            "--field", "certificate=@\(pki)/AP-DE1.crt", "--field", "certificate=@\(pki)/renewed.crt",
            "--why", "rollover: renewed certificate",
        ])
        #expect(overlap.status == 0, "\(overlap.output)")
        try send(10)
        try await Wait.until("AP-FR to seal for the renewed certificate", timeout: .seconds(60)) {
            (try? String(contentsOfFile: sealing, encoding: .utf8)) == renewed
        }
        try send(10)
        // The old certificate withdrawn.
        let withdrawn = try await sedgate([
            "directory", "set", "--config", config("CN"), "--kind", "ap", "--id", "AP-DE1",
            "--field", "certificate=@\(pki)/renewed.crt", "--why", "rollover: old certificate withdrawn",
        ])
        #expect(withdrawn.status == 0, "\(withdrawn.output)")
        try send(10)
        do {
            try await Wait.progressing("every SED of the rollover at AP-DE1", to: sent, stall: .seconds(60)) {
                inbound("AP-DE1")
            }
        } catch {
            for node in ["AP-FR", "CN", "AP-DE1"] {
                let log =
                    (try? String(contentsOfFile: folder.appending("\(node.lowercased()).log"), encoding: .utf8)) ?? ""
                print("---- \(node)\n" + log.split(separator: "\n").suffix(30).joined(separator: "\n"))
            }
            throw error
        }
        #expect(inbound("AP-DE1") == sent)
        let refused =
            (try? FileManager.default.contentsOfDirectory(atPath: topology.node("AP-FR").spool.rejected)) ?? []
        #expect(refused.isEmpty)
    }
}
