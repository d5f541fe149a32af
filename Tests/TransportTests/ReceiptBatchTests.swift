// ReceiptBatchTests: queued receipts go to a peer many to a request (P-RCPT-6), over real mutual TLS, from a real
// journal; a peer that acknowledges only some, or refuses one as unknown, still gets every other one.

import Foundation
import Logging
import SedgateCore
import Store
import Synchronization
import Testing
import Transport

/// Acknowledges the receipts of each Receipt request as the test says, and counts what each request held.
final class ReceiptPeer: MessageHandler {
    enum Manner: Sendable {
        /// Every receipt.
        case all
        /// Only the first receipt of a request, as a node that reads one receipt per request would.
        case firstOnly
        /// A `not-found` sender fault for any request naming this SED (P-RCPT-5).
        case unknown(SEDID)
    }

    let manner: Manner
    let requests = Mutex<[[SEDID]]>([])

    init(_ manner: Manner) { self.manner = manner }

    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        let ids = message.receipts.map(\.sedId)
        requests.withLock { $0.append(ids) }
        var taken = message.receipts
        switch manner {
        case .all: break
        case .firstOnly: taken = Array(taken.prefix(1))
        case .unknown(let id):
            if ids.contains(id) {
                return message.replying(
                    with: Fault(code: .notFound, reason: "no SED \(id) was sent from here", isSenderFault: true))
            }
        }
        return message.replying(
            with: taken.map { Receipt(sedId: $0.sedId, kind: $0.kind, node: message.to, at: Timestamp.now()) })
    }
}

@Suite("Receipts many to a request", .serialized, .timeLimit(.minutes(2)))
struct ReceiptBatchTests {
    let logger = Logger(label: "test")
    let peer = NodeID("AP-BE")!

    /// Queues `count` `delivered` receipts for the peer in a fresh journal, sends them with a ReceiptSender to a
    /// server answering in `manner`, and returns the requests the server saw and the receipts left pending.
    func exchange(
        _ count: Int, _ manner: (([SEDID]) -> ReceiptPeer.Manner)
    ) async throws -> (requests: [[SEDID]], pending: [SignalRecord], ids: [SEDID]) {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let folder = NSTemporaryDirectory() + "receipts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let journal = try Journal(path: folder + "/j.sqlite")
        let ids = (0..<count).map { _ in SEDID.random() }
        for id in ids {
            try await journal.enqueueSignal(
                SignalRecord(peer: peer, sedId: id, kind: "delivered", node: NodeID("AP-DK")!, at: Timestamp.now()))
        }
        let handler = ReceiptPeer(manner(ids))
        try await ProtocolServerTests().withServer(pki, handler: handler) { baseURL in
            let client = try ProtocolClient(tls: pki.files("client"), logger: logger)
            let sender = ReceiptSender(
                node: NodeID("AP-A")!, peer: peer, url: baseURL, client: client, journal: journal, logger: logger)
            var schedule = RetrySchedule(initial: .milliseconds(100), maximum: .seconds(1))
            let signals = try await journal.pendingSignals(peer: peer, limit: 100)
            let retry = await sender.send(signals, &schedule)
            await client.shutdown()
            #expect(retry == nil, "every receipt was answered, none should wait for a retry")
        }
        return (handler.requests.withLock { $0 }, try await journal.pendingSignals(peer: peer, limit: 100), ids)
    }

    @Test("ten queued receipts travel in one request and are all marked sent")
    func oneRequest() async throws {
        let result = try await exchange(10) { _ in .all }
        #expect(result.requests.count == 1)
        #expect(Set(result.requests.first ?? []) == Set(result.ids))
        #expect(result.pending.isEmpty)
    }

    @Test("a peer that takes only the first receipt of a request gets the others one to a request")
    func firstOnly() async throws {
        let result = try await exchange(5) { _ in .firstOnly }
        #expect(result.requests.count == 1 + 4)
        #expect(result.requests.dropFirst().allSatisfy { $0.count == 1 })
        let singles: [SEDID] = result.requests.dropFirst().flatMap { $0 }
        let acknowledged = Set(singles + [result.requests[0][0]])
        #expect(acknowledged == Set(result.ids))
        #expect(result.pending.isEmpty)
    }

    @Test("a receipt the peer refuses as unknown ends alone; the others of its request are still delivered")
    func unknownOne() async throws {
        let result = try await exchange(5) { ids in .unknown(ids[2]) }
        // The request of five is refused whole, then each goes alone: four acknowledged, one refused for good.
        #expect(result.requests.count == 1 + 5)
        #expect(result.pending.isEmpty, "the refused receipt is dropped (P-RCPT-7), the others were acknowledged")
    }
}
