// RelayNode: a coordination node's parts in this process, for its unit tests: a spool and a real SQLite journal in
// a temporary folder, the configuration of a CN between AP-BE and AP-DK, the protocol handler, on a manual clock.

import Documents
import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Spool
import Store
import Transport
import WSSecurity

@testable import CoordinationNode

/// A CN routing DK to AP-DK and BE to AP-BE, with its handler and queue gauge; no server, no forwarder.
struct RelayNode {
    static let cn = NodeID("CN")!
    static let sender = NodeID("AP-BE")!
    static let destination = NodeID("AP-DK")!
    /// An access point of the network with no part in the SEDs of a test.
    static let bystander = NodeID("AP-FR")!

    let folder: TemporaryDirectory
    let clock = ManualClock()
    let configuration: CoordinationNodeConfiguration
    let journal: Journal
    let bells: [NodeID: Doorbell]
    let gauge: QueueGauge
    let handler: RelayHandler

    init(capacity: Capacity = Capacity(), gaugeAge: Duration = .seconds(1)) throws {
        folder = try TemporaryDirectory("relay-node")
        let spool = SpoolLayout(root: folder.appending("spool"))
        try spool.create()
        configuration = CoordinationNodeConfiguration(
            node: Self.cn, spool: spool, host: "127.0.0.1", port: 0,
            tls: TLSFiles(certificatePath: "", privateKeyPath: "", trustRootsPath: ""),
            peers: [Self.sender: "https://127.0.0.1:1", Self.destination: "https://127.0.0.1:2", Self.bystander: ""],
            routes: try RoutingTable(["DK": Self.destination, "BE": Self.sender]), capacity: capacity)
        journal = try Journal(path: spool.varDirectory + "/journal.sqlite", clock: clock.now)
        bells = Dictionary(uniqueKeysWithValues: configuration.peers.keys.map { ($0, Doorbell()) })
        gauge = QueueGauge(journal: journal, maximumAge: gaugeAge, now: clock.instant)
        handler = RelayHandler(
            configuration: configuration, journal: journal, bells: bells, gauge: gauge, logger: Logger(label: "test"))
    }

    /// SEDs sealed by AP-BE for `receivingAP`, addressed to `receiver`, as a compound delivery carries them.
    func seal(_ count: Int, receiver: String = "DK:0002", receivingAP: String = "AP-DK") throws -> [SealedSED] {
        let pki = folder.appending("pki")
        try PKI.copyShared(into: pki, nodes: ["AP-BE", "AP-DK"])
        let signer = try NodeKey(privateKeyFile: pki + "/AP-BE.key", certificateFile: pki + "/AP-BE.crt")
        let recipient = try PeerCertificate(file: pki + "/AP-DK.crt")
        return try (0..<count).map { index in
            let sedId = SEDID.random()
            let bytes = SampleSED.make(
                sedId: sedId, receiver: receiver, size: 1_000, index: index, sendingAP: "AP-BE", seqNo: index + 1)
            var envelope = try SEDReader.read(bytes, source: "sample").envelope
            envelope.receivingAP = NodeID(receivingAP)
            return try SealedSED.seal(bytes, envelope: envelope, signer: signer, recipient: recipient)
        }
    }

    /// A protocol client with the CN's certificate, for the forwarding hop (which uses it only for fragments).
    func client() throws -> ProtocolClient {
        let pki = folder.appending("pki")
        try PKI.copyShared(into: pki, nodes: ["CN"])
        return try ProtocolClient(
            tls: TLSFiles(
                certificatePath: pki + "/CN.crt", privateKeyPath: pki + "/CN.key", trustRootsPath: pki + "/ca.crt"),
            logger: Logger(label: "test"))
    }

    /// One SED sealed by AP-BE for AP-DK, delivered and stored here.
    func storedSED() async throws -> SealedSED {
        let seds = try seal(1)
        _ = await deliver(seds)
        return seds[0]
    }

    /// What `peer` gets back for a compound delivery of `seds`.
    func deliver(_ seds: [SealedSED], from peer: NodeID = sender) async -> ProtocolMessage {
        let compound = CompoundMessage(from: peer, to: Self.cn, seds: seds)
        return await handler.handle(
            ProtocolMessage(
                messageID: compound.messageID, action: .deliver, from: peer, to: Self.cn, compound: compound),
            peer: PeerIdentity(commonName: peer.rawValue))
    }

    /// What `peer` (by default the destination) gets back for a receipt message carrying `receipts`.
    func send(_ receipts: [Receipt], from peer: NodeID = destination) async -> ProtocolMessage {
        await handler.handle(
            ProtocolMessage(action: .receipt, from: peer, to: Self.cn, receipts: receipts),
            peer: PeerIdentity(commonName: peer.rawValue))
    }

    /// The path of a stored SED's sealed copy.
    func storePath(_ sedId: SEDID) -> String {
        configuration.spool.store + "/\(StoreReconciliation.prefix)\(sedId)\(StoreReconciliation.suffix)"
    }
}
