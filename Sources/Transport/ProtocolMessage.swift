// ProtocolMessage: one SOAP message between nodes (deliver, receipt or fault), as values, before encoding.

public import SedgateCore

/// One message of the AP ⇄ CN ⇄ AP protocol (the protocol article, Transport.docc/Protocol.md), independent of its SOAP encoding.
///
/// A `deliver` carries a SED: its `envelope` (SOAP header) and its bytes (`payload`, SOAP body).
/// A `receipt` or `fault` answers a deliver and names it in `relatesTo`. `SOAPCodec` writes and reads them.
public struct ProtocolMessage: Sendable, Equatable {
    /// What the message asks or answers; the WS-Addressing `Action` URI.
    public enum Action: String, Sendable, CaseIterable {
        /// Carries a SED towards its destination.
        case deliver = "urn:eessi:sedgate:1:Deliver"
        /// Acknowledges that a SED was stored, delivered or routed.
        case receipt = "urn:eessi:sedgate:1:Receipt"
        /// Refuses or defers a message; see `Fault`.
        case fault = "urn:eessi:sedgate:1:Fault"
        /// Pull mode (FS-45): an access point asks the CN for its next SED or receipt.
        case pull = "urn:eessi:sedgate:1:Pull"
        /// The CN's answer to a pull when nothing waits.
        case empty = "urn:eessi:sedgate:1:Empty"
        /// One fragment of a large payload, sent ahead of the sealed SED that describes it (MTOM).
        case fragment = "urn:eessi:sedgate:1:Fragment"
    }

    /// The unique id of this message, `urn:uuid:<uuid>` (`wsa:MessageID`).
    public var messageID: String
    /// What the message is (`wsa:Action`).
    public var action: Action
    /// The sending node (`wsa:From/wsa:Address` = `urn:eessi:node:<id>`).
    public var from: NodeID
    /// The receiving node (`wsa:To` = `urn:eessi:node:<id>`).
    public var to: NodeID
    /// The `messageID` this message answers (`wsa:RelatesTo`), for receipts and faults.
    public var relatesTo: String?
    /// For a deliver: the SED envelope, carried in the SOAP header.
    public var envelope: Envelope?
    /// For a deliver: the SED bytes, carried base64 in `<sg:Payload>` in the SOAP body.
    public var payload: [UInt8]?
    /// For a deliver between nodes: the compound message of sealed SEDs (sent as MTOM, not in `payload`).
    public var compound: CompoundMessage?
    /// For a fragment: the fragment (sent as MTOM).
    public var fragment: FragmentMessage?
    /// For a receipt: what was acknowledged, one receipt per SED (a compound delivery is answered with several).
    public var receipts: [Receipt]
    /// For a fault: what went wrong.
    public var fault: Fault?

    /// Makes a message from its parts; `messageID` defaults to a fresh `urn:uuid:`.
    public init(
        messageID: String = ProtocolMessage.newMessageID(), action: Action, from: NodeID, to: NodeID,
        relatesTo: String? = nil, envelope: Envelope? = nil, payload: [UInt8]? = nil,
        receipt: Receipt? = nil, receipts: [Receipt] = [], fault: Fault? = nil, compound: CompoundMessage? = nil,
        fragment: FragmentMessage? = nil
    ) {
        self.fragment = fragment
        self.messageID = messageID
        self.action = action
        self.from = from
        self.to = to
        self.relatesTo = relatesTo
        self.envelope = envelope
        self.payload = payload
        self.receipts = (receipt.map { [$0] } ?? []) + receipts
        self.fault = fault
        self.compound = compound
    }

    /// The first (usually the only) receipt.
    public var receipt: Receipt? {
        get { receipts.first }
        set { receipts = newValue.map { [$0] } ?? [] }
    }

    /// A fresh message id, `urn:uuid:` and a random UUID.
    public static func newMessageID() -> String {
        "urn:uuid:" + SEDID.random().rawValue
    }

    /// A deliver message carrying one SED from `from` to `to`.
    public static func deliver(envelope: Envelope, payload: [UInt8], from: NodeID, to: NodeID) -> ProtocolMessage {
        ProtocolMessage(action: .deliver, from: from, to: to, envelope: envelope, payload: payload)
    }

    /// The receipt answering this message, sent back by `to` to `from`.
    public func replying(with receipt: Receipt) -> ProtocolMessage {
        ProtocolMessage(action: .receipt, from: to, to: from, relatesTo: messageID, receipt: receipt)
    }

    /// The receipts answering this message (one per SED of a compound delivery), sent back by `to` to `from`.
    public func replying(with receipts: [Receipt]) -> ProtocolMessage {
        ProtocolMessage(action: .receipt, from: to, to: from, relatesTo: messageID, receipts: receipts)
    }

    /// The fault answering this message, sent back by `to` to `from`.
    public func replying(with fault: Fault) -> ProtocolMessage {
        ProtocolMessage(action: .fault, from: to, to: from, relatesTo: messageID, fault: fault)
    }
}

/// An acknowledgement that a node has taken responsibility for a SED (`<sg:Receipt>`).
public struct Receipt: Sendable, Equatable {
    /// How far the SED got.
    public enum Kind: String, Sendable, CaseIterable {
        /// Stored durably at the coordination node.
        case stored
        /// Stored durably at the destination access point.
        case delivered
        /// Taken by the national side at the destination.
        case routed
        /// Given up on the way (expired, or refused by the destination): `reason` says why.
        case failed
    }

    /// The SED acknowledged.
    public var sedId: SEDID
    /// How far it got.
    public var kind: Kind
    /// The node that acknowledges it.
    public var node: NodeID
    /// When, ISO 8601 UTC (`2026-11-23T10:15:00Z`).
    public var at: String
    /// Why, for a `failed` receipt.
    public var reason: String?
    /// For a `failed` receipt, the machine-readable cause (`signature-invalid`, `schema-violation`, `expired`...),
    /// so the sender's report names the true one. Absent from older peers' receipts.
    public var code: SedgateError.Code?
    /// For the receipt of one fragment of a large payload: its index.
    public var fragment: Int?

    /// Makes a receipt.
    public init(
        sedId: SEDID, kind: Kind, node: NodeID, at: String, reason: String? = nil, code: SedgateError.Code? = nil,
        fragment: Int? = nil
    ) {
        self.code = code
        self.fragment = fragment
        self.sedId = sedId
        self.kind = kind
        self.node = node
        self.at = at
        self.reason = reason
    }
}

/// A refusal or deferral, sent as a SOAP 1.2 `env:Fault` with subcode `sg:<code>`.
public struct Fault: Sendable, Equatable {
    /// What kind of failure; the subcode on the wire.
    public var code: SedgateError.Code
    /// A sentence for a human at the other end: what went wrong and what to do.
    public var reason: String
    /// For back-pressure: how many seconds the sender should wait before trying again.
    public var retryAfterSeconds: Int?
    /// True when the sender's message is at fault (`env:Sender`: do not resend it unchanged);
    /// false when the receiver failed (`env:Receiver`: the same message may succeed later).
    public var isSenderFault: Bool

    /// Makes a fault.
    public init(code: SedgateError.Code, reason: String, retryAfterSeconds: Int? = nil, isSenderFault: Bool) {
        self.code = code
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
        self.isSenderFault = isSenderFault
    }

    /// The fault that reports `error` to the peer; `isSenderFault` says whose fault it was.
    /// The fault answering `error`: a sender fault when retrying cannot help (`Code.isPermanent`), and for
    /// back-pressure a `RetryAfter` of `retryAfter`.
    public init(_ error: SedgateError, retryAfter: Duration) {
        self.init(error, isSenderFault: error.code.isPermanent)
        if error.code == .backPressure { retryAfterSeconds = Int(retryAfter.components.seconds) }
    }

    public init(_ error: SedgateError, isSenderFault: Bool) {
        self.init(code: error.code, reason: error.description, isSenderFault: isSenderFault)
    }

    /// The wait a back-pressure fault asks for, as a `Duration`.
    public var retryAfter: Duration? {
        retryAfterSeconds.map { .seconds($0) }
    }

    /// Whether the message this fault answers must not be sent again: a sender fault other than back-pressure
    /// (the protocol article, P-FAULT-3). The side decides, not the code, so a code this node does not know still
    /// ends the retries when the peer says the message is at fault.
    public var isFinal: Bool { isSenderFault && code != .backPressure }

    /// The error to raise locally for this fault, naming the peer that sent it. Its code is permanent exactly when
    /// the fault is final (`isFinal`): the peer's code when it is one (else `refused`) for a sender fault, the
    /// peer's code when it is passing (else `peer-unavailable`) for a receiver fault or back-pressure.
    public func error(from peer: NodeID) -> SedgateError {
        let local: SedgateError.Code =
            if isFinal { code.isPermanent ? code : .refused } else { code.isPermanent ? .peerUnavailable : code }
        return SedgateError(
            local, "\(peer) refused the message (\(isSenderFault ? "sender" : "receiver") fault): \(reason)")
    }
}
