// ProtocolRulesTests: the rules of the protocol article an independent implementation found broken or unwritten
// (issue #15): versions on the wire, wsa:RelatesTo on every fault, SED ids in any case, a refused fragment not sent
// again. Over real mutual TLS on 127.0.0.1 where the rule is about the wire.

import Foundation
import Logging
import Packaging
import SedgateCore
import Synchronization
import Testing
import Transport

/// Answers every fragment with `fault` and counts them.
final class FragmentRefuser: MessageHandler {
    let fault: Fault
    let fragments = Mutex<[Int]>([])

    init(_ fault: Fault) { self.fault = fault }

    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        if let fragment = message.fragment { fragments.withLock { $0.append(fragment.index) } }
        return message.replying(with: fault)
    }
}

@Suite("Protocol rules (issue #15)", .serialized, .timeLimit(.minutes(1)))
struct ProtocolRulesTests {
    let logger = Logger(label: "test")

    /// A Pull from AP-A to the CN, as bytes, with its `sg:Protocol` line replaced by `protocolLine`.
    static func pull(protocolLine: String) -> (id: String, bytes: [UInt8]) {
        let message = ProtocolMessage(action: .pull, from: Fixtures.apA, to: Fixtures.cn)
        let text = String(decoding: SOAPCodec.encode(message), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix("<sg:Protocol") ? Substring(protocolLine) : $0
        }
        return (message.messageID, Array(lines.joined(separator: "\n").utf8))
    }

    @Test("a message without sg:Protocol is version 1.0, and any 1.x is read; we write version 1, minor 1 (P-VER-1..3)")
    func versionsOfMajorOneAreRead() throws {
        for line in ["", "<sg:Protocol/>", "<sg:Protocol version=\"1\"/>", "<sg:Protocol version=\"1.7\"/>"] {
            let (id, bytes) = Self.pull(protocolLine: line)
            let message = try SOAPCodec.decode(bytes, source: "test")
            #expect(message.action == .pull && message.messageID == id, "\(line)")
        }
        let written = String(
            decoding: SOAPCodec.encode(ProtocolMessage(action: .pull, from: Fixtures.apA, to: Fixtures.cn)),
            as: UTF8.self)
        #expect(written.contains("<sg:Protocol version=\"1\" minor=\"1\"/>"))
    }

    @Test("another major version is refused with sg:unsupported-version (P-VER-4)")
    func otherMajorVersionIsRefused() throws {
        let (_, bytes) = Self.pull(protocolLine: "<sg:Protocol version=\"2\"/>")
        let error = #expect(throws: SedgateError.self) { _ = try SOAPCodec.decode(bytes, source: "test") }
        #expect(error?.code == .unsupportedVersion)
    }

    @Test(
        "faults refusing unreadable messages name them in wsa:RelatesTo; a version 2 message gets 400 unsupported-version (P-FAULT-2, P-VER-4)"
    )
    func faultsRelateToTheRequest() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        try await withServer(pki, handler: RecordingHandler()) { baseURL, client in
            let (id, version2) = Self.pull(protocolLine: "<sg:Protocol version=\"2\"/>")
            let refused = try await client.raw(version2, to: baseURL)
            let fault = try SOAPCodec.decode(refused.body, source: "reply")
            #expect(refused.status == 400)
            #expect(fault.fault?.code == .unsupportedVersion && fault.fault?.isSenderFault == true)
            #expect(fault.relatesTo == id)

            // Cut off in the middle: not well-formed, yet its MessageID was readable.
            let (other, whole) = Self.pull(protocolLine: "<sg:Protocol version=\"1\"/>")
            let truncated = try await client.raw(Array(whole.prefix(whole.count - 40)), to: baseURL)
            let malformed = try SOAPCodec.decode(truncated.body, source: "reply")
            #expect(truncated.status == 400 && malformed.fault?.code == .malformedXML)
            #expect(malformed.relatesTo == other)
        }
    }

    @Test("the MessageID scan finds prefixed and unprefixed ids, and nothing in a message without one")
    func messageIDScan() {
        #expect(SOAPCodec.messageID(in: Array("<a><wsa:MessageID>urn:uuid:1</wsa:MessageID>".utf8)) == "urn:uuid:1")
        #expect(SOAPCodec.messageID(in: Array("<MessageID xmlns='x'> m-2 </MessageID>".utf8)) == "m-2")
        #expect(SOAPCodec.messageID(in: Array("<x:RelatesMessageID>no</x:RelatesMessageID><MessageID/>".utf8)) == nil)
    }

    @Test("a sender fault ends the retries whatever its code; a receiver fault never does (P-FAULT-3)")
    func senderFaultsAreFinal() {
        let unknown = Fault(code: .init(wireName: "fragment-too-odd"), reason: "no", isSenderFault: true)
        #expect(unknown.error(from: Fixtures.cn).code.isPermanent)
        let busy = Fault(code: .backPressure, reason: "busy", retryAfterSeconds: 3, isSenderFault: false)
        #expect(!busy.error(from: Fixtures.cn).code.isPermanent)
        let odd = Fault(code: .protocolViolation, reason: "odd", isSenderFault: false)
        #expect(!odd.error(from: Fixtures.cn).code.isPermanent)
    }

    @Test("a fragment refused with a sender fault is sent once and given up; back-pressure is retried (P-FRAG-9)")
    func refusedFragmentIsNotSentAgain() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("frag-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sedId = SEDID.random()
        let inbox = FragmentInbox(root: folder)
        try FileManager.default.createDirectory(
            atPath: inbox.directory(for: sedId.rawValue), withIntermediateDirectories: true)
        let payload = folder + "/payload"
        try Data(repeating: 7, count: 3_000).write(to: URL(fileURLWithPath: payload))
        let manifest = try Fragmenter.split(
            file: payload, fragmentSize: 1_000, payloadID: sedId.rawValue, into: inbox.directory(for: sedId.rawValue))

        let final = FragmentRefuser(
            Fault(code: .init(wireName: "fragment-refused"), reason: "never", isSenderFault: true))
        try await withServer(pki, handler: final) { baseURL, client in
            let progress = FragmentProgress(inbox: inbox, manifest: manifest, peer: Fixtures.cn)
            let error = await #expect(throws: SedgateError.self) {
                try await progress.upload(sedId, from: Fixtures.apA, client: client, url: baseURL)
            }
            #expect(error?.code.isPermanent == true)
            #expect(final.fragments.withLock { $0 } == [0])
        }
        let busy = FragmentRefuser(
            Fault(code: .backPressure, reason: "busy", retryAfterSeconds: 1, isSenderFault: false))
        try await withServer(pki, handler: busy) { baseURL, client in
            let progress = FragmentProgress(inbox: inbox, manifest: manifest, peer: Fixtures.cn)
            let error = await #expect(throws: SedgateError.self) {
                try await progress.upload(sedId, from: Fixtures.apA, client: client, url: baseURL)
            }
            #expect(error?.code.isPermanent == false)
        }
    }

    /// Runs a server (CN) with compound support and calls `body` with its URL and a client (AP-A) able to send
    /// MTOM messages, shut down afterwards.
    func withServer(
        _ pki: TestCertificates, handler: any MessageHandler,
        _ body: @Sendable (String, ProtocolClient) async throws -> Void
    ) async throws {
        let temporary = FileManager.default.temporaryDirectory.path
        let server = try ProtocolServer(
            host: "127.0.0.1", port: 0, tls: pki.files("server"), handler: handler, logger: logger,
            compound: try CompoundCodec(tls: pki.files("server"), temporaryDirectory: temporary))
        let client = try ProtocolClient(
            tls: pki.files("client"),
            compound: try CompoundCodec(tls: pki.files("client"), temporaryDirectory: temporary), logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                defer { group.cancelAll() }
                let port = try #require(await server.listeningPort(), "the server stopped before it listened")
                let baseURL = "https://127.0.0.1:\(port)"
                let deadline = ContinuousClock.now + .seconds(45)
                while (try? await client.checkHealth(of: baseURL, timeout: .seconds(5))) == nil {
                    guard ContinuousClock.now < deadline else { throw SedgateError(.peerUnavailable, "no server") }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await body(baseURL, client)
            }
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }
}
