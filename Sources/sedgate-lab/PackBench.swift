// PackBench: `sedgate bench pack`: SEDs per second and MB/s for pack + sign + encrypt, and for verify + decrypt +
// unpack, on compound messages of generated 5 KB SEDs, in one process, the SEDs of each message sealed and opened
// side by side on the sealing pool (one thread per core) as a node does. A measurement, not a test.

import ArgumentParser
import CommandSupport
import Conversion
import Documents
import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Transport
import WSSecurity

/// `sedgate bench pack [--seds-per-message 50] [--messages 40] [--key rsa|ec]`.
struct PackBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "SEDs/s and MB/s for pack + sign + encrypt and for verify + decrypt + unpack (5 KB SEDs).")
    @Option(help: "SEDs in each compound message.")
    var sedsPerMessage: Int = 50
    @Option(help: "Compound messages to pack and open.")
    var messages: Int = 40
    @Option(help: "Approximate size of each SED in bytes.")
    var size: Int = 5_000
    @Flag(help: "Verify each SED's seal again when opening it (as this bench did before; nodes do not).")
    var reverify = false
    @Option(help: "The sender's key: rsa (RSA-2048, RSA-SHA256 signatures) or ec (P-256, ECDSA-SHA256 signatures).")
    var key: SignerKeyType = .rsa
    @Flag(help: "Seal and open on this task's thread, one SED after another, instead of on the sealing pool.")
    var serial = false
    @Option(help: "Messages packed or opened at the same time (as a node serves several connections).")
    var inFlight: Int = 2
    @Flag(help: "Seal each SED with a content key of its own (one RSA-OAEP encryption each), as before key windows.")
    var freshKeys = false
    @Flag(help: "Decrypt each SED's content key with RSA-OAEP, without the destination's cache of unwrapped keys.")
    var noKeyCache = false

    func run() async throws {
        let directory = try TemporaryDirectory("bench-pack")
        let pki = directory.appending("pki")
        try key.generate(in: pki, sender: "AP-BE", receiver: "AP-DK")
        let algorithms = SignatureAlgorithm.standard.union([key.algorithm])
        let pool: SealingPool? = serial ? nil : SealingPool.shared
        let (signer, recipient, receiverKey, trust) = try exitOnError {
            () throws(SedgateError) -> (NodeKey, PeerCertificate, NodeKey, TrustStore) in
            var receiverKey = try NodeKey(privateKeyFile: pki + "/AP-DK.key", certificateFile: pki + "/AP-DK.crt")
            if noKeyCache { receiverKey.unwrappedKeys = nil }
            return (
                try NodeKey(privateKeyFile: pki + "/AP-BE.key", certificateFile: pki + "/AP-BE.crt"),
                try PeerCertificate(file: pki + "/AP-DK.crt"),
                receiverKey,
                try TrustStore(caFile: pki + "/ca.crt")
            )
        }
        // As a node seals (CompoundCodec): one content key per window of SEDs for a destination.
        let contentKeys = freshKeys ? nil : ContentKeyWindows()
        var made: [[(envelope: Envelope, payload: [UInt8])]] = []
        var totalBytes = 0
        for batch in 0..<messages {
            var items: [(envelope: Envelope, payload: [UInt8])] = []
            for index in 0..<sedsPerMessage {
                let bytes = SampleSED.make(
                    sedId: .random(), size: size, index: batch * sedsPerMessage + index, sendingAP: "AP-BE")
                var envelope = try exitOnError { () throws(SedgateError) in
                    try SEDReader.read(bytes, source: "bench").envelope
                }
                envelope.receivingAP = NodeID("AP-DK")
                items.append((envelope, bytes))
                totalBytes += bytes.count
            }
            made.append(items)
        }
        let clock = ContinuousClock()
        let batches = made
        let packCPUStart = processCPUSeconds()
        let (sender, receiver) = (NodeID("AP-BE")!, NodeID("AP-DK")!)
        let packStart = clock.now
        // Messages are packed and opened `inFlight` at a time, as a node serves several connections: the hop
        // signature of one message is made or checked while the SEDs of another are sealed or opened.
        let packed = try await windowed(batches.count, width: inFlight) { index in
            let path = directory.appending("message-\(index).mime")
            let seal = { @Sendable (item: (envelope: Envelope, payload: [UInt8])) throws(SedgateError) in
                try SealedSED.seal(
                    item.payload, envelope: item.envelope, signer: signer, recipient: recipient,
                    contentKeys: contentKeys)
            }
            let written = try await exitOnError { () async throws(SedgateError) in
                var seds: [SealedSED] = []
                if let pool {
                    seds = try await pool.map(batches[index], seal)
                } else {
                    for item in batches[index] { seds.append(try seal(item)) }
                }
                return try CompoundMessage(from: sender, to: receiver, seds: seds).write(to: path, signer: signer)
            }
            return (path: path, contentType: written.contentType, size: written.size)
        }
        let packTime = clock.now - packStart
        let packCPU = processCPUSeconds() - packCPUStart
        let openCPUStart = processCPUSeconds()
        let openStart = clock.now
        let reverify = self.reverify
        let counts = try await windowed(packed.count, width: inFlight) { index in
            let message = packed[index]
            return try await exitOnError { () async throws(SedgateError) in
                let mime = try MTOMReader().read(file: message.path, contentType: message.contentType)
                let compound =
                    if let pool {
                        try await CompoundMessage.read(
                            mime, trusting: trust, accepting: algorithms, source: message.path, on: pool)
                    } else {
                        try CompoundMessage.read(mime, trusting: trust, accepting: algorithms, source: message.path)
                    }
                // As a node does it (CompoundCodec.open): each seal was verified by CompoundMessage.read.
                let open = { @Sendable (sed: SealedSED) throws(SedgateError) in
                    if reverify {
                        _ = try SealedSED.open(
                            sed.bytes, trusting: trust, accepting: algorithms, key: receiverKey, source: message.path)
                    } else {
                        _ = try SealedSED.open(verified: sed, key: receiverKey, source: message.path)
                    }
                }
                if let pool {
                    _ = try await pool.map(compound.seds, open)
                } else {
                    for sed in compound.seds { try open(sed) }
                }
                return compound.refused.isEmpty ? compound.seds.count : 0
            }
        }
        let opened = counts.reduce(0, +)
        let openTime = clock.now - openStart
        let openCPU = processCPUSeconds() - openCPUStart
        guard opened == messages * sedsPerMessage else {
            printError("sedgate bench pack: opened \(opened) SEDs, expected \(messages * sedsPerMessage)")
            throw ExitCode(1)
        }
        let wire = packed.reduce(Int64(0)) { $0 + $1.size }
        func line(_ label: String, _ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return String(
                format: "%@: %.0f SEDs/s, %.2f MB/s of SEDs (%.1f ms per message)", label,
                Double(opened) / seconds, Double(totalBytes) / seconds / 1e6, seconds * 1000 / Double(messages))
        }
        print(
            "sedgate bench pack: \(messages) messages of \(sedsPerMessage) SEDs of ~\(size) bytes "
                + "(\(totalBytes / 1000) KB of SEDs, \(wire / 1000) KB on the wire after gzip + encryption), "
                + "sender key \(key.description), "
                + (pool.map { "SEDs sealed and opened on \($0.threads) threads" } ?? "no pool")
                + ", \(inFlight) message(s) in flight")
        print(line("pack + sign + encrypt     ", packTime))
        print(line("verify + decrypt + unpack ", openTime))
        print(
            String(
                format: "per CPU second (all threads of this process): pack %.0f SEDs/s (%.3f ms per SED), "
                    + "open %.0f SEDs/s (%.3f ms per SED)",
                Double(opened) / packCPU, packCPU * 1000 / Double(opened), Double(opened) / openCPU,
                openCPU * 1000 / Double(opened)))
        print(
            "content keys: \(contentKeys.map { "\($0.keysMade) made (RSA-OAEP encryptions)" } ?? "one per SED"), "
                + (receiverKey.unwrappedKeys.map { "\($0.keysUnwrapped) unwrapped (RSA-OAEP decryptions)" }
                    ?? "one unwrapped per SED"))
        print("peak RSS: \(ConversionBenchmark.peakRSS() >> 20) MiB")
    }
}

/// The key type of the sending node in a bench: its signatures follow it. The receiving node keeps an RSA key
/// (key transport is RSA-OAEP).
enum SignerKeyType: String, ExpressibleByArgument, CustomStringConvertible, Sendable {
    case rsa
    case ec

    /// The signature method the sender's key signs with.
    var algorithm: SignatureAlgorithm { self == .ec ? .ecdsaSHA256 : .rsaSHA256 }

    var description: String { self == .ec ? "EC P-256 (ECDSA-SHA256)" : "RSA-2048 (RSA-SHA256)" }

    /// A PKI in `directory` with `receiver` on RSA and `sender` on this key type.
    func generate(in directory: String, sender: String, receiver: String) throws {
        try PKI.generate(in: directory, nodes: self == .ec ? [receiver] : [sender, receiver])
        if self == .ec { try PKI.generateEC(in: directory, node: sender) }
    }
}

/// `body` of each index in 0..<count, at most `width` at once; the results in index order.
func windowed<Value: Sendable>(
    _ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> Value
) async throws -> [Value] {
    try await withThrowingTaskGroup(of: (Int, Value).self) { group in
        var results = [Value?](repeating: nil, count: count)
        var next = 0
        func start() {
            guard next < count else { return }
            let index = next
            group.addTask { (index, try await body(index)) }
            next += 1
        }
        for _ in 0..<max(1, width) { start() }
        while let (index, value) = try await group.next() {
            results[index] = value
            start()
        }
        return results.compactMap { $0 }
    }
}

/// Runs `body`; on an error, prints it and exits as `exitOnError` does.
func exitOnError<T>(_ body: () async throws(SedgateError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        printError("sedgate: \(error)")
        throw ExitCode(error.code == .configuration ? 2 : 1)
    }
}

/// The CPU time this process has used (all threads), in seconds: a figure that holds on a shared machine.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}
