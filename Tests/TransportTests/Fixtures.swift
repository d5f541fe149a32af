// Fixtures: sample nodes, envelopes and messages shared by the Transport tests.

import SedgateCore
import Transport

/// Sample values for protocol tests.
enum Fixtures {
    static let apA = NodeID("AP-A")!
    static let cn = NodeID("CN")!
    static let sedId = SEDID("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")!
    /// SED bytes with characters that need escaping in XML and a base64 tail with padding.
    static let payload = Array("<SED>caf\u{e9} & \"co\"</SED>".utf8)

    /// A complete envelope, as a sending access point writes it.
    static func envelope() throws -> Envelope {
        try Envelope(fields: [
            .sedId: sedId.rawValue, .sedType: "P2000", .sedVersion: "4.2", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: "case-4711", .sender: "BE:INAMI", .receiver: "FR:CNAV:PARIS", .sendingAP: "AP-A",
            .receivingAP: "AP-B", .createdAt: "2026-11-23T10:15:00Z", .contentType: "application/xml",
            .payloadSize: String(payload.count),
        ])
    }

    /// A deliver from AP-A to the CN carrying `payload`.
    static func deliver() throws -> ProtocolMessage {
        .deliver(envelope: try envelope(), payload: payload, from: apA, to: cn)
    }
}
