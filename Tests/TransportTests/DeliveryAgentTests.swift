// DeliveryAgentTests: the one delivery agent driven in this process against a real protocol server over mutual TLS,
// with a hop that keeps its queue in memory and a real journal: what is sent in which message, what is recorded
// delivered, what is sent again, and when the agent tries again after a busy peer.

import Documents
import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Store
import Synchronization
import Testing
import WSSecurity

@testable import Transport

/// The peer: answers each compound delivery as scripted (the last answer repeats), and keeps what it was sent.
private final class ScriptedPeer: MessageHandler {
    enum Answer {
        /// A `stored` receipt for every SED but those at `omitting`; a `failed` one for those at `refusing`.
        case receipts(omitting: Set<Int> = [], refusing: Set<Int> = [])
        case fault(Fault)
    }
    let script: Mutex<[Answer]>
    let received = Mutex<[[SEDID]]>([])

    init(_ script: [Answer]) { self.script = Mutex(script) }

    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        let ids = message.compound?.seds.map(\.sedId) ?? []
        received.withLock { $0.append(ids) }
        let answer = script.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] }
        switch answer {
        case .fault(let fault):
            return message.replying(with: fault)
        case .receipts(let omitting, let refusing):
            return message.replying(
                with: ids.enumerated().filter { !omitting.contains($0.offset) }.map { index, sedId in
                    refusing.contains(index)
                        ? Receipt(
                            sedId: sedId, kind: .failed, node: message.to, at: "2026-12-07T10:00:00Z",
                            reason: "refused by the script", code: .invalidEnvelope)
                        : Receipt(sedId: sedId, kind: .stored, node: message.to, at: "2026-12-07T10:00:00Z")
                })
        }
    }
}

/// A hop whose queue is an array: what is delivered or given up leaves it.
private final class MemoryHop: DeliveryHop {
    let node = NodeID("AP-BE")!
    let peer = NodeID("CN")!
    let url: String
    let direction = Direction.outbound
    let limits: PackingLimits
    let lifetime = Duration.seconds(86_400)
    let lane = Interaction.async
    let sealed: [SEDID: SealedSED]
    let queue: Mutex<[MessageRecord]>
    let deliveredIDs = Mutex<[SEDID]>([])
    let givenUp = Mutex<[SEDID]>([])

    init(url: String, limits: PackingLimits, sealed: [SEDID: SealedSED], queue: [MessageRecord]) {
        self.url = url
        self.limits = limits
        self.sealed = sealed
        self.queue = Mutex(queue)
    }

    func waiting(limit: Int) async throws(SedgateError) -> [MessageRecord] {
        queue.withLock { Array($0.prefix(limit)) }
    }
    func destination(of record: MessageRecord) throws(SedgateError) -> NodeID { NodeID("AP-DK")! }
    func prepare(_ message: DeliveryPlan.Message, client: ProtocolClient) async -> DeliveryPreparation {
        var ready = DeliveryPreparation()
        for record in message.records {
            ready.records.append(record)
            ready.seds.append(sealed[record.sedId]!)
        }
        return ready
    }
    func delivered(_ taken: [(record: MessageRecord, receipt: Receipt)]) async throws(SedgateError) {
        let ids = taken.map(\.record.sedId)
        deliveredIDs.withLock { $0 += ids }
        queue.withLock { $0.removeAll { ids.contains($0.sedId) } }
    }
    func giveUp(_ record: MessageRecord, _ error: SedgateError) async {
        givenUp.withLock { $0.append(record.sedId) }
        queue.withLock { $0.removeAll { $0.sedId == record.sedId } }
    }
    func retryNowStamp() -> Int64? { nil }
}

@Suite("The delivery agent against a real peer", .serialized, .timeLimit(.minutes(2)))
struct DeliveryAgentTests {
    let logger = Logger(label: "test")

    /// Five SEDs sealed from AP-BE for AP-DK, in commit order, and the hop and agent around them.
    private func run(
        _ peer: ScriptedPeer, count: Int = 5, maxSEDs: Int = 2,
        _ body: (DeliveryAgent<MemoryHop>, MemoryHop, [SEDID]) async throws -> Void
    ) async throws {
        // The nodes' RSA keys and certificates, as a topology's (a SED is sealed for an RSA key).
        let folder = try TemporaryDirectory("delivery-agent")
        try PKI.copyShared(into: folder.appending("pki"), nodes: ["CN", "AP-BE"])
        func tls(_ node: String) -> TLSFiles {
            TLSFiles(
                certificatePath: folder.appending("pki/\(node).crt"),
                privateKeyPath: folder.appending("pki/\(node).key"),
                trustRootsPath: folder.appending("pki/ca.crt"))
        }
        let journal = try Journal(path: folder.appending("journal.sqlite"))
        let signer = try NodeKey(
            privateKeyFile: tls("AP-BE").privateKeyPath, certificateFile: tls("AP-BE").certificatePath)
        let recipient = try PeerCertificate(file: tls("CN").certificatePath)
        var records: [MessageRecord] = []
        var sealed: [SEDID: SealedSED] = [:]
        for index in 0..<count {
            let sedId = SEDID.random()
            let bytes = SampleSED.make(sedId: sedId, size: 2_000, index: index, sendingAP: "AP-BE")
            var envelope = try SEDReader.read(bytes, source: "sample").envelope
            envelope.receivingAP = NodeID("AP-DK")
            sealed[sedId] = try SealedSED.seal(bytes, envelope: envelope, signer: signer, recipient: recipient)
            records.append(
                MessageRecord(
                    sedId: sedId, direction: .outbound, state: .accepted, file: nil, peer: NodeID("CN")!,
                    origin: NodeID("AP-BE")!, envelope: envelope, payloadPath: "var/store/\(sedId)",
                    size: bytes.count, createdAt: Timestamp.iso8601(Date())))
        }
        let temporary = folder.path
        let server = try ProtocolServer(
            host: "127.0.0.1", port: 0, tls: tls("CN"), handler: peer, logger: logger,
            compound: try CompoundCodec(tls: tls("CN"), temporaryDirectory: temporary))
        let client = try ProtocolClient(
            tls: tls("AP-BE"),
            compound: try CompoundCodec(tls: tls("AP-BE"), temporaryDirectory: temporary), logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                defer { group.cancelAll() }
                let port = try #require(await server.listeningPort(), "the server stopped before it listened")
                let url = "https://127.0.0.1:\(port)"
                try await Wait.until("the peer to answer /health", timeout: .seconds(45)) {
                    (try? await client.checkHealth(of: url, timeout: .seconds(5))) != nil
                }
                let hop = MemoryHop(
                    url: url, limits: PackingLimits(maxSEDs: maxSEDs, maxBytes: 10 << 20), sealed: sealed,
                    queue: records)
                let agent = DeliveryAgent(
                    hop: hop, journal: journal, client: client, bell: Doorbell(), retryInitial: .milliseconds(100),
                    retryMaximum: .seconds(5), logger: logger)
                try await body(agent, hop, records.map(\.sedId))
            }
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    @Test("SEDs leave in messages of the packing size, in commit order; each receipt is recorded once")
    func deliversInOrder() async throws {
        let peer = ScriptedPeer([.receipts()])
        try await run(peer) { agent, hop, ids in
            var schedule = RetrySchedule(initial: .milliseconds(100), maximum: .seconds(5))
            #expect(await agent.drain(&schedule) == nil)
            #expect(peer.received.withLock { $0 } == [Array(ids[0..<2]), Array(ids[2..<4]), [ids[4]]])
            #expect(hop.deliveredIDs.withLock { $0 } == ids)
            #expect(hop.queue.withLock { $0.isEmpty })
            #expect(schedule.consecutiveFailures == 0)
        }
    }

    @Test("a busy peer: nothing is recorded, no retry before its Retry-After; the next attempt delivers all")
    func busyPeer() async throws {
        let busy = Fault(code: .backPressure, reason: "busy", retryAfterSeconds: 2, isSenderFault: false)
        let peer = ScriptedPeer([.fault(busy), .receipts()])
        try await run(peer) { agent, hop, ids in
            var schedule = RetrySchedule(initial: .milliseconds(100), maximum: .seconds(5))
            let before = ContinuousClock.now
            let retryAt = try #require(await agent.drain(&schedule))
            #expect(retryAt >= before + .seconds(2))
            #expect(hop.deliveredIDs.withLock { $0 }.isEmpty)
            #expect(hop.queue.withLock { $0.count } == 5)
            // The next attempt probes the peer first, then sends from the oldest SED again.
            #expect(await agent.drain(&schedule) == nil)
            #expect(peer.received.withLock { $0.map(\.first) } == [ids[0], ids[0], ids[2], ids[4]])
            #expect(hop.deliveredIDs.withLock { $0 } == ids)
        }
    }

    @Test("a reply naming some SEDs: those recorded, a refused one given up alone, an unmentioned one sent again")
    func partialReply() async throws {
        let peer = ScriptedPeer([.receipts(omitting: [2], refusing: [1]), .receipts()])
        try await run(peer, count: 3, maxSEDs: 3) { agent, hop, ids in
            var schedule = RetrySchedule(initial: .milliseconds(100), maximum: .seconds(5))
            #expect(await agent.drain(&schedule) != nil)
            #expect(hop.deliveredIDs.withLock { $0 } == [ids[0]])
            #expect(hop.givenUp.withLock { $0 } == [ids[1]])
            #expect(hop.queue.withLock { $0.map(\.sedId) } == [ids[2]])
            #expect(await agent.drain(&schedule) == nil)
            #expect(peer.received.withLock { $0 } == [ids, [ids[2]]])
            #expect(hop.deliveredIDs.withLock { $0 } == [ids[0], ids[2]])
        }
    }
}
