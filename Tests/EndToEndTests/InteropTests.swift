// InteropTests: an access point written in Python from the protocol article alone (Tests/Interop: lxml, xmlsec)
// exchanges SEDs with real sedgate nodes, both ways, pushed and pulled, so that the article and the code cannot
// drift apart. The Python AP is a peer of the CN like any other (its own certificate, an entry in the CN's
// [peers] and [routes]); only its process is not sedgate.

import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("A Python access point written from Protocol.md, against real sedgate nodes", .serialized)
struct InteropTests {
    @Test(
        "SEDs cross both ways between the Python AP and a sedgate AP byte-exact, with every receipt",
        arguments: ["push", "pull"])
    func exchange(mode: String) async throws {
        let directory = try TemporaryDirectory("e2e-interop-\(mode)")
        let topology = try Self.topology(directory, mode: mode)
        defer { topology.abandon() }
        try await topology.start("CN")
        try await topology.start("AP-BE")
        let python = try await PythonAccessPoint.start(topology.node("AP-PY"), in: directory)
        defer { python.abandon() }
        let sedgate = topology.node("AP-BE")

        // Python → sedgate: the CN stores each SED, AP-BE lands it byte for byte, its `delivered` comes back.
        let outgoing = try (0..<5).map { index in
            let sedId = SEDID.random()
            let bytes = SampleSED.make(
                sedId: sedId, sender: "FR:0001", receiver: "BE:0001", index: index, sendingAP: "AP-PY", seqNo: 1)
            let path = directory.appending("py-\(index).xml")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return (sedId: "\(sedId)", bytes: bytes, path: path)
        }
        let sent = try await python.send(outgoing.map(\.path))
        #expect(sent.status == 200)
        #expect(Set(sent.receipts.filter { $0["kind"] == "stored" }.compactMap { $0["sedId"] }) == Set(sent.sedIds))
        try await Wait.progressing("the Python AP's SEDs to land at AP-BE", to: outgoing.count) {
            ExchangeTests.files(sedgate.spool.inbound, suffix: ".xml").count
        }
        for sed in outgoing {
            let landed = try #require(ExchangeTests.files(sedgate.spool.inbound, suffix: "\(sed.sedId).xml").first)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(sedgate.spool.inbound)/\(landed)"))
            #expect(Array(bytes) == sed.bytes, "SED \(sed.sedId) landed byte for byte")
        }
        try await Wait.progressing("AP-BE's delivered receipts to reach the Python AP", to: outgoing.count) {
            outgoing.filter { python.hasReceipt($0.sedId, kind: "delivered") }.count
        }
        // The same SED sent again is a duplicate: `stored` again, never landed twice (checked at the end).
        let again = try await python.send([outgoing[1].path])
        #expect(again.receipts.map { $0["kind"] } == ["stored"])
        // The national side at AP-BE takes one: its `routed` reaches the Python AP too.
        let taken = try #require(ExchangeTests.files(sedgate.spool.inbound, suffix: "\(outgoing[0].sedId).xml").first)
        try FileManager.default.removeItem(atPath: "\(sedgate.spool.inbound)/\(taken)")
        try await Wait.progressing("a routed receipt at the Python AP", to: 1) {
            python.hasReceipt(outgoing[0].sedId, kind: "routed") ? 1 : 0
        }

        // sedgate → Python: files committed to AP-BE's outbound/ are verified, opened and acknowledged by Python.
        var incoming: [(name: String, sedId: String, bytes: [UInt8])] = []
        for index in 0..<5 {
            let sedId = SEDID.random()
            let bytes = SampleSED.make(
                sedId: sedId, sender: "BE:0001", receiver: "FR:0001", index: 100 + index, sendingAP: "AP-BE", seqNo: 1)
            let name = "to-python-\(index).xml"
            try Data(bytes).write(to: URL(fileURLWithPath: "\(sedgate.spool.outbound)/.\(name)"))
            #expect(rename("\(sedgate.spool.outbound)/.\(name)", "\(sedgate.spool.outbound)/\(name)") == 0)
            incoming.append((name, "\(sedId)", bytes))
        }
        try await Wait.progressing("AP-BE to report its SEDs delivered to the Python AP", to: incoming.count) {
            ExchangeTests.files(sedgate.spool.reports, suffix: ".delivered.json").count
        }
        for sed in incoming {
            #expect(python.inbound(sed.sedId) == sed.bytes, "SED \(sed.sedId) opened byte for byte by Python")
        }
        try FileManager.default.removeItem(atPath: python.state + "/inbound/\(incoming[0].sedId).xml")
        try await Wait.progressing("AP-BE to report the SED the Python side took as routed", to: 1) {
            ExchangeTests.files(sedgate.spool.reports, suffix: "\(incoming[0].sedId).routed.json").count
        }
        await python.stop()
        await topology.stopAll()
        #expect(ExchangeTests.files(sedgate.spool.inbound, suffix: ".xml").count == outgoing.count - 1)
    }

    @Test("signatures the Python AP broke after signing are refused with signature-invalid; nothing refused is stored")
    func tamperedSignatures() async throws {
        let directory = try TemporaryDirectory("e2e-interop-tamper")
        let topology = try Self.topology(directory, mode: "push")
        defer { topology.abandon() }
        try await topology.start("CN")
        try await topology.start("AP-BE")
        let python = try await PythonAccessPoint.start(topology.node("AP-PY"), in: directory)
        defer { python.abandon() }
        let sedgate = topology.node("AP-BE")

        func write(_ name: String, index: Int) throws -> (sedId: String, path: String) {
            let sedId = SEDID.random()
            let bytes = SampleSED.make(
                sedId: sedId, sender: "FR:0001", receiver: "BE:0001", index: index, sendingAP: "AP-PY", seqNo: 1)
            let path = directory.appending(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return ("\(sedId)", path)
        }
        // A listed envelope changed after signing, then the SignatureValue itself: 400, env:Sender,
        // sg:signature-invalid (Protocol.md, "More faults"), and the message is not taken.
        var refused: [String] = []
        for (index, tamper) in ["envelope", "signature"].enumerated() {
            let sed = try write("tampered-\(tamper).xml", index: index)
            refused.append(sed.sedId)
            let answer = try await python.send([sed.path], tamper: tamper)
            #expect(answer.status == 400, "tampered \(tamper)")
            #expect(answer.fault?.side == "Sender", "tampered \(tamper)")
            #expect(answer.fault?.code == "signature-invalid", "tampered \(tamper)")
            #expect(answer.receipts.isEmpty)
        }
        // A sealed SED changed after its sending AP signed it, in a valid hop: the message is taken, that SED
        // gets a `failed` receipt with the code.
        let broken = try write("tampered-seal.xml", index: 2)
        refused.append(broken.sedId)
        let answer = try await python.send([broken.path], tamper: "seal")
        #expect(answer.status == 200)
        #expect(answer.receipts.first?["kind"] == "failed")
        #expect(answer.receipts.first?["code"] == "signature-invalid")

        // Nothing refused was stored: a good SED sent afterwards lands alone. It is sent with its SignatureValues
        // and CipherValue broken into lines, as xmlsec writes them by default, which the CN and AP-BE accept.
        let good = try write("good.xml", index: 3)
        let stored = try await python.send([good.path], wrapBase64: true)
        #expect(stored.receipts.first?["kind"] == "stored")
        try await Wait.progressing("the good SED to land", to: 1) {
            ExchangeTests.files(sedgate.spool.inbound, suffix: "\(good.sedId).xml").count
        }
        await python.stop()
        await topology.stopAll()
        #expect(ExchangeTests.files(sedgate.spool.inbound, suffix: ".xml").count == 1)
        for sedId in refused {
            #expect(ExchangeTests.files(sedgate.spool.inbound, suffix: "\(sedId).xml").isEmpty)
        }
    }

    /// A CN, AP-BE (serving BE) and AP-PY (serving FR), the Python AP's place: its configuration, certificate
    /// and routes are written as for any access point, but its process is the Python one.
    static func topology(_ directory: TemporaryDirectory, mode: String) throws -> Topology {
        try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPoints: [("AP-BE", "BE"), ("AP-PY", "FR")], pullAccessPoints: mode == "pull" ? ["AP-PY"] : [])
    }
}

/// The Python access point of Tests/Interop as a child process, and its state folder (see its `node` module).
final class PythonAccessPoint: @unchecked Sendable {
    /// What the Python AP printed after posting a compound message: the CN's answer.
    struct Answer: Decodable {
        struct Fault: Decodable {
            var side: String
            var code: String
            var reason: String?
        }
        var status: Int
        var sedIds: [String]
        var receipts: [[String: String]]
        var fault: Fault?
    }

    let node: Topology.Node
    let state: String
    private let process: SpawnedProcess

    private init(node: Topology.Node, state: String, process: SpawnedProcess) {
        self.node = node
        self.state = state
        self.process = process
    }

    /// Starts `python -m sedgate_interop run` with the node's configuration and waits until it receives.
    static func start(_ node: Topology.Node, in directory: TemporaryDirectory) async throws -> PythonAccessPoint {
        let state = directory.appending("python-state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let log = directory.appending("python.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        // Not Foundation's Process, whose reaping can stall on a long-running child (see SpawnedProcess).
        let process = try SpawnedProcess(
            executable: try interpreter(),
            arguments: ["-B", "-m", "sedgate_interop", "run", "--config", node.config, "--state", state],
            environment: environment(), logPath: log)
        let started = PythonAccessPoint(node: node, state: state, process: process)
        try await Wait.until("the Python AP to start (see \(log))", timeout: .seconds(60)) {
            guard process.isRunning else {
                throw SedgateError(.io, "the Python AP exited with status \(process.terminationStatus); see \(log)")
            }
            return FileManager.default.fileExists(atPath: state + "/ready")
        }
        return started
    }

    /// Seals `files` and posts them to the CN in one compound message (`tamper`, `wrapBase64`: see the package's
    /// `__main__`).
    func send(_ files: [String], tamper: String? = nil, wrapBase64: Bool = false) async throws -> Answer {
        var arguments = ["-B", "-m", "sedgate_interop", "send", "--config", node.config, "--state", state]
        if let tamper { arguments += ["--tamper", tamper] }
        if wrapBase64 { arguments.append("--wrap-base64") }
        let outcome = try await ChildProcess.run(
            "/usr/bin/env", ["PYTHONPATH=\(Self.package)", try Self.interpreter()] + arguments + files)
        guard outcome.status == 0, let line = outcome.output.split(separator: "\n").last else {
            throw SedgateError(.io, "the Python AP could not send (status \(outcome.status)): \(outcome.output)")
        }
        return try JSONDecoder().decode(Answer.self, from: Data(line.utf8))
    }

    /// Whether the Python AP holds a `kind` receipt for SED `sedId` it sent.
    func hasReceipt(_ sedId: String, kind: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(state)/receipts/\(sedId).\(kind).json")
    }

    /// The bytes of a SED the Python AP received, opened, or nil.
    func inbound(_ sedId: String) -> [UInt8]? {
        FileManager.default.contents(atPath: "\(state)/inbound/\(sedId).xml").map { Array($0) }
    }

    /// Stops it with SIGTERM and waits for it to exit; one still running 30 s later is killed.
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning {
            if ContinuousClock.now > deadline { kill(process.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Kills it at once: the clean-up for a `defer`.
    func abandon() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Tests/Interop, found from this file.
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop").path

    /// `$SEDGATE_INTEROP_PYTHON`, or the virtual environment `make interop-venv` makes under .build.
    static func interpreter() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["SEDGATE_INTEROP_PYTHON"], !explicit.isEmpty {
            return explicit
        }
        let root = URL(fileURLWithPath: package).deletingLastPathComponent().deletingLastPathComponent()
        let venv = root.appendingPathComponent(".build/interop-venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw SedgateError(
                .notFound, "no Python for the interop access point at \(venv); run `make interop-venv` (make test does)"
            )
        }
        return venv
    }

    private static func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = package
        return environment
    }
}
