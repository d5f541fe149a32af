// ForeignProducerTests: a producer running under another Unix user than the AP (uid nobody, the AP as daemon),
// writing SEDs in place into outbound/. The AP must never take a file such a producer still writes: not while it
// runs, not at the scan after a restart. Without CAP_LEASE it cannot ask the kernel, so it holds the file (logged)
// until the file is committed by a rename; with CAP_LEASE it checks the writer across users and takes the file once
// closed. Needs root (to switch users with setpriv).

import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite(
    "A producer under another Unix user", .serialized, .timeLimit(.minutes(5)),
    .enabled("needs root and setpriv, to run the AP and its producer as two other users") {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
    })
struct ForeignProducerTests {
    static let apUser = Topology.User("daemon", group: "daemon")
    static let count = 10

    /// Writes each staged SED's first half into outbound/ and keeps it open; after `ctl/go`, the rest, and closes.
    static let producer = """
        import os, sys, time
        staged, outbound, ctl = sys.argv[1], sys.argv[2], sys.argv[3]
        files = []
        for name in sorted(os.listdir(staged)):
            data = open(os.path.join(staged, name), "rb").read()
            f = open(os.path.join(outbound, name), "wb")
            f.write(data[: len(data) // 2])
            f.flush()
            files.append((f, data[len(data) // 2 :]))
        open(os.path.join(ctl, "ready"), "w").close()
        while not os.path.exists(os.path.join(ctl, "go")):
            time.sleep(0.05)
        for f, rest in files:
            f.write(rest)
            f.close()
        open(os.path.join(ctl, "done"), "w").close()
        """

    /// A topology whose AP-BE runs as `user` with an outbound/ every user may write, and `count` staged SEDs.
    static func prepare(
        _ name: String, user: Topology.User
    ) async throws -> (TemporaryDirectory, Topology, [ExchangeTests.Committed], staged: String, ctl: String) {
        let directory = try TemporaryDirectory(name)
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        try await topology.start("CN")
        try await topology.start("AP-DK")
        let sender = topology.node("AP-BE")
        try sender.spool.create()
        let staged = directory.path + "/staged"
        let ctl = directory.path + "/ctl"
        var committed: [ExchangeTests.Committed] = []
        try FileManager.default.createDirectory(atPath: staged, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: ctl, withIntermediateDirectories: true)
        for index in 0..<count {
            let name = String(format: "held-%04d.xml", index)
            let sedId = SEDID.random()
            let bytes = SampleSED.make(sedId: sedId, size: 20_000, index: index)
            try Data(bytes).write(to: URL(fileURLWithPath: staged + "/" + name))
            committed.append(ExchangeTests.Committed(name: name, bytes: bytes, sedId: sedId, complete: false))
        }
        // The AP's files become its user's; the producer (nobody) may write outbound/ and the control folder.
        let chown = try await ChildProcess.run("/bin/chown", ["-R", "\(user.name):\(user.group)", directory.path])
        #expect(chown.status == 0, "\(chown.output)")
        for path in [directory.path, directory.path + "/spool", sender.spool.root, staged] {
            #expect(chmod(path, 0o755) == 0)
        }
        for path in [sender.spool.outbound, ctl] { #expect(chmod(path, 0o777) == 0) }
        try await topology.start("AP-BE", as: user)
        return (directory, topology, committed, staged, ctl)
    }

    /// Starts the producer as nobody and waits until every file is half written and held open.
    static func startProducer(staged: String, outbound: String, ctl: String) async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "/usr/bin/python3", "-c", producer,
            staged, outbound, ctl,
        ]
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try await Wait.until("the producer to hold \(count) half-written files", timeout: .seconds(60)) {
            guard process.isRunning || FileManager.default.fileExists(atPath: ctl + "/ready") else {
                throw SedgateError(.io, "the producer exited with status \(process.terminationStatus)")
            }
            return FileManager.default.fileExists(atPath: ctl + "/ready")
        }
        return process
    }

    /// Lets the producer finish its files and waits until it has closed them all.
    static func finish(_ producer: Process, ctl: String) async throws {
        #expect(FileManager.default.createFile(atPath: ctl + "/go", contents: nil))
        try await Wait.until("the producer to close its files and exit", timeout: .seconds(60)) {
            FileManager.default.fileExists(atPath: ctl + "/done") && !producer.isRunning
        }
    }

    static func occurrences(of text: String, in path: String) -> Int {
        let log = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return log.components(separatedBy: text).count - 1
    }

    @Test("without CAP_LEASE, files another user still writes are held across a restart, and commit by a rename")
    func heldWithoutLease() async throws {
        let (directory, topology, committed, staged, ctl) = try await Self.prepare("e2e-foreign", user: Self.apUser)
        defer { topology.abandon() }
        let sender = topology.node("AP-BE")
        let producer = try await Self.startProducer(staged: staged, outbound: sender.spool.outbound, ctl: ctl)
        defer { if producer.isRunning { producer.terminate() } }

        // The issue's case: the AP restarts while producers write; its start-up scan finds the files.
        await topology.kill("AP-BE")
        try await topology.start("AP-BE", as: Self.apUser)
        let log = directory.path + "/ap-be.log"
        try await Wait.until("AP-BE to hold the \(Self.count) files it cannot check", timeout: .seconds(60)) {
            Self.occurrences(of: "outbound file not taken", in: log) >= Self.count
        }
        #expect(ExchangeTests.files(sender.spool.outbound, suffix: ".xml").count == Self.count, "none was taken")
        #expect(ExchangeTests.files(sender.spool.rejected, suffix: ".error").isEmpty)
        #expect(Self.occurrences(of: "CAP_LEASE", in: log) >= Self.count, "the log says what to do")

        // Written and closed, then committed the documented way: renamed into outbound/.
        try await Self.finish(producer, ctl: ctl)
        let parked = directory.path + "/parked"
        try FileManager.default.createDirectory(atPath: parked, withIntermediateDirectories: true)
        for file in committed {
            #expect(rename(sender.spool.outbound + "/" + file.name, parked + "/" + file.name) == 0)
            #expect(rename(parked + "/" + file.name, sender.spool.outbound + "/" + file.name) == 0)
        }
        try await Wait.progressing("\(Self.count) delivered", to: Self.count) {
            DurabilityTests.count(sender, "delivered")
        }
        await topology.stopAll()
        #expect(ExchangeTests.files(sender.spool.rejected, suffix: ".error").isEmpty, "none was taken half-written")
        try ExchangeTests.verify(committed, sender: sender, receiver: topology.node("AP-DK"))
    }

    @Test("with CAP_LEASE, the AP checks another user's writer across a restart and takes each file once closed")
    func checkedWithLease() async throws {
        let user = Topology.User("daemon", group: "daemon", capabilities: ["lease"])
        let (directory, topology, committed, staged, ctl) = try await Self.prepare("e2e-foreign-lease", user: user)
        defer { topology.abandon() }
        let sender = topology.node("AP-BE")
        let producer = try await Self.startProducer(staged: staged, outbound: sender.spool.outbound, ctl: ctl)
        defer { if producer.isRunning { producer.terminate() } }
        await topology.kill("AP-BE")
        try await topology.start("AP-BE", as: user)
        try await Self.finish(producer, ctl: ctl)
        // Taken in place, no rename: a file taken before its writer closed it would be rejected as malformed.
        try await Wait.progressing("\(Self.count) delivered", to: Self.count) {
            DurabilityTests.count(sender, "delivered")
        }
        await topology.stopAll()
        #expect(ExchangeTests.files(sender.spool.rejected, suffix: ".error").isEmpty, "none was taken half-written")
        #expect(Self.occurrences(of: "outbound file not taken", in: directory.path + "/ap-be.log") == 0)
        try ExchangeTests.verify(committed, sender: sender, receiver: topology.node("AP-DK"))
    }
}
