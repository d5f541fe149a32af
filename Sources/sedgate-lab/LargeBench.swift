// LargeBench: `sedgate bench large`: one enclosure of N MB crosses AP → CN → AP in fragments through a fresh
// topology, optionally with the CN killed in the middle of each leg; prints the time, the throughput, the SHA-256
// check and each process's peak memory above its idle size. A measurement, not a test.

import ArgumentParser
import Crypto
import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Spool

/// `sedgate bench large [--megabytes 2048] [--fragment-kb N] [--restart]`.
struct LargeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "large",
        abstract: "A large enclosure AP → CN → AP in fragments: time, MB/s, SHA-256, and each node's peak RSS.")
    @Option(help: "Size of the enclosure in MB.")
    var megabytes: Int = 2_048
    @Option(help: "The access points' fragment size in KiB ([pack] fragment-kb; default: the node's default, 2048).")
    var fragmentKb: Int?
    @Flag(help: "Kill the CN in the middle of each leg and restart it.")
    var restart = false
    @Option(help: "Where to build the topology (default: a fresh temporary folder, removed afterwards).")
    var directory: String?

    func run() async throws {
        let root = directory ?? NSTemporaryDirectory() + "sedgate-large-\(UUID().uuidString.prefix(8))"
        let topology = try Topology(
            directory: root, executable: try nodeExecutable(),
            accessPointSettings: fragmentKb.map { "[pack]\nfragment-kb = \($0)\n" } ?? "")
        defer {
            topology.abandon()
            if directory == nil { try? FileManager.default.removeItem(atPath: root) }
        }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let cn = topology.node("CN")
        var memory = Memory()
        for node in ["CN", "AP-BE", "AP-DK"] { memory.idle(node, topology) }

        let sedId = SEDID.random()
        let name = "large-\(megabytes)MB.bin"
        try Data(Self.sidecar(sedId).utf8).write(to: URL(fileURLWithPath: "\(sender.spool.outbound)/\(name).envelope"))
        let staged = root + "/staged.bin"
        print("writing \(megabytes) MB of random bytes...")
        let digest = try Self.writeRandom(staged, megabytes: megabytes)
        let start = ContinuousClock.now
        rename(staged, "\(sender.spool.outbound)/\(name)")

        if restart {
            try await Wait.until("the CN to hold fragments", timeout: .seconds(3_600), interval: .milliseconds(20)) {
                Self.count("\(cn.spool.store)/frag-\(sedId)") >= 16
            }
            memory.peak("CN", topology)
            await topology.kill("CN")
            print("killed the CN holding \(Self.count("\(cn.spool.store)/frag-\(sedId)")) fragments; restarting it")
            try await topology.start("CN")
            try await Wait.until("AP-DK to hold fragments", timeout: .seconds(3_600), interval: .milliseconds(20)) {
                Self.count("\(receiver.spool.store)/frag-\(sedId)") >= 16
            }
            memory.peak("CN", topology)
            await topology.kill("CN")
            print(
                "killed the CN while AP-DK held \(Self.count("\(receiver.spool.store)/frag-\(sedId)")) fragments; "
                    + "restarting it")
            try await topology.start("CN")
        }
        try await Wait.until("the enclosure to be delivered", timeout: .seconds(7_200), interval: .milliseconds(100)) {
            !((try? FileManager.default.contentsOfDirectory(atPath: sender.spool.reports)) ?? []).filter {
                $0.hasSuffix("\(sedId).delivered.json")
            }.isEmpty
        }
        let elapsed = ContinuousClock.now - start
        for node in ["CN", "AP-BE", "AP-DK"] { memory.peak(node, topology) }
        await topology.stopAll()
        let landed = ((try? FileManager.default.contentsOfDirectory(atPath: receiver.spool.inbound)) ?? []).filter {
            $0.contains(sedId.rawValue)
        }
        let arrived = try landed.first.map { (name) throws(SedgateError) in
            try PayloadDigest.sha256(file: "\(receiver.spool.inbound)/\(name)")
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            String(
                format: "sedgate bench large: %d MB AP-BE → CN → AP-DK in %.1f s (%.1f MB/s)%@", megabytes, seconds,
                Double(megabytes) / seconds, restart ? ", the CN killed and restarted in each leg" : ""))
        print("SHA-256 \(arrived == digest ? "identical" : "DIFFERENT: \(arrived ?? "nothing landed") vs \(digest)")")
        for node in ["CN", "AP-BE", "AP-DK"] { print(memory.line(node)) }
        if arrived != digest { throw ExitCode(1) }
    }

    /// Idle and peak resident memory per node, from /proc/<pid>/status (VmRSS, VmHWM).
    struct Memory {
        var idle: [String: Int] = [:]
        var peak: [String: Int] = [:]

        mutating func idle(_ node: String, _ topology: Topology) {
            idle[node] = topology.pid(node).map { Self.read($0, "VmRSS:") } ?? 0
        }

        mutating func peak(_ node: String, _ topology: Topology) {
            let value = topology.pid(node).map { Self.read($0, "VmHWM:") } ?? 0
            peak[node] = max(peak[node] ?? 0, value)
        }

        func line(_ node: String) -> String {
            let idleMB = Double(idle[node] ?? 0) / 1024
            let peakMB = Double(peak[node] ?? 0) / 1024
            return String(
                format: "  %-6@ idle %6.1f MiB   peak %6.1f MiB   peak above idle %6.1f MiB", node, idleMB, peakMB,
                peakMB - idleMB)
        }

        /// A `kB` field of /proc/<pid>/status.
        static func read(_ pid: Int32, _ field: String) -> Int {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
            for line in text.split(separator: "\n") where line.hasPrefix(field) {
                return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
            }
            return 0
        }
    }

    static func sidecar(_ sedId: SEDID) -> String {
        """
        <Envelope xmlns="urn:eessi:sedgate:sed:1"><SedId>\(sedId)</SedId><SedType>S080</SedType>\
        <SedVersion>4.2</SedVersion><Sector>SI</Sector><BucType>S_BUC_24</BucType>\
        <CaseId>c0ffee00-0000-4000-8000-000000000081</CaseId><Sender>BE:0001</Sender><Receiver>DK:0002</Receiver>\
        <ContentType>application/octet-stream</ContentType></Envelope>

        """
    }

    static func count(_ folder: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".frag") }.count
    }

    /// Writes `megabytes` of pseudo-random bytes (a fast generator; the content only has to be incompressible).
    static func writeRandom(_ path: String, megabytes: Int) throws -> String {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hash = SHA256()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var chunk = [UInt64](repeating: 0, count: (1 << 20) / 8)
        for _ in 0..<megabytes {
            for index in chunk.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                chunk[index] = state
            }
            let data = chunk.withUnsafeBytes { Data($0) }
            hash.update(data: data)
            try handle.write(contentsOf: data)
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
