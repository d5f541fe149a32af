// Envelope: the routing header every SED carries, the same for every SED type, never encrypted,
// never holding personal data. It is what the CN routes, logs and counts (the README's SED document).

/// One field of the envelope. The case order is the canonical order used when writing XML.
///
/// `xmlName` is the element name inside `<Envelope>` (namespace `urn:eessi:sedgate:sed:1`);
/// `rawValue` is the key used in file-name templates (`{sedId}`) and JSON reports.
public enum EnvelopeField: String, CaseIterable, Sendable, Codable, Hashable {
    case sedId, sedType, sedVersion, sector, bucType, caseId
    case senderFileNo, receiverFileNo
    case sender, receiver, sendingAP, receivingAP
    case inReplyTo, seqNo, createdAt, language, ackRequested, interaction, dueDate
    case contentType, payloadSize

    /// The element name in XML (`SedId`, `SendingAP`, ...).
    public var xmlName: String {
        Self.xmlNames[self] ?? rawValue
    }

    /// The field whose element name is `xmlName`, if any.
    public init?(xmlName: String) {
        guard let field = Self.byXMLName[xmlName] else { return nil }
        self = field
    }

    /// Every field's element name, made once: every SED's envelope is written and read several times on its way,
    /// and making the names per use cost more than the rest of reading an envelope.
    private static let xmlNames: [EnvelopeField: String] = Dictionary(
        uniqueKeysWithValues: allCases.map { field in
            switch field {
            case .sendingAP: (field, "SendingAP")
            case .receivingAP: (field, "ReceivingAP")
            default: (field, field.rawValue.prefix(1).uppercased() + field.rawValue.dropFirst())
            }
        })

    /// The fields by element name.
    private static let byXMLName: [String: EnvelopeField] = Dictionary(
        uniqueKeysWithValues: xmlNames.map { ($0.value, $0.key) })

    /// Fields a producer must supply; the access point fills in the others it can.
    public static let required: [EnvelopeField] = [
        .sedType, .sedVersion, .sector, .bucType, .caseId, .sender, .receiver,
    ]

    /// The maximum length of the text form (annex (e) sizes, a little generous where the annex is silent).
    public var maxLength: Int {
        switch self {
        case .sedId, .caseId, .inReplyTo: return 36
        case .sedType: return 8
        case .sedVersion: return 5
        case .sector: return 2
        case .bucType: return 10
        case .senderFileNo, .receiverFileNo: return 20
        case .sender, .receiver: return 43
        case .sendingAP, .receivingAP: return 32
        case .seqNo: return 9
        case .createdAt: return 30
        case .language: return 2
        case .ackRequested: return 5
        case .interaction: return 5
        case .dueDate: return 30
        case .contentType: return 100
        case .payloadSize: return 15
        }
    }
}

/// How a SED is exchanged: asynchronously (store and forward) or synchronously (request/reply in one session).
public enum Interaction: String, Sendable, Codable, Hashable {
    case async = "ASYNC"
    case sync = "SYNC"
}

/// The envelope of one SED. Fields the access point may fill in (`sedId`, `createdAt`, `sendingAP`,
/// `receivingAP`) are optional here; everything else a producer must supply is checked by `init(fields:)`.
public struct Envelope: Sendable, Hashable, Codable {
    public var sedId: SEDID?
    public var sedType: String
    public var sedVersion: String
    /// Two letters: PE, SI, DA, UB, FB, AL, RE, HZ (annex (e)).
    public var sector: String
    public var bucType: String
    public var caseId: String
    public var senderFileNo: String?
    public var receiverFileNo: String?
    public var sender: Address
    public var receiver: Address
    public var sendingAP: NodeID?
    public var receivingAP: NodeID?
    public var inReplyTo: SEDID?
    public var seqNo: Int?
    /// ISO 8601 UTC, e.g. `2026-11-23T10:15:00Z`.
    public var createdAt: String?
    public var language: String?
    public var ackRequested: Bool?
    public var interaction: Interaction
    /// ISO 8601 date, `YYYY-MM-DD`; for a synchronous request also an ISO 8601 UTC time, its reply's deadline
    /// (`SyncDeadline`).
    public var dueDate: String?
    public var contentType: String?
    public var payloadSize: Int?

    /// The sectors annex (e) proposes.
    public static let sectors: Set<String> = ["PE", "SI", "DA", "UB", "FB", "AL", "RE", "HZ"]

    /// Builds an envelope from text fields, checking each; the error names the first bad field.
    public init(fields: [EnvelopeField: String]) throws(SedgateError) {
        func fail(_ field: EnvelopeField, _ reason: String) -> SedgateError {
            SedgateError(
                .invalidEnvelope, "envelope field \(field.xmlName) \(reason)",
                location: .init(field: "Envelope/\(field.xmlName)"))
        }
        for field in EnvelopeField.required where (fields[field] ?? "").isEmpty {
            throw fail(field, "is missing; every SED must name it (see the envelope schema)")
        }
        for (field, value) in fields where value.count > field.maxLength {
            throw fail(field, "is \(value.count) characters long; at most \(field.maxLength) are allowed")
        }
        func text(_ field: EnvelopeField) -> String? {
            guard let value = fields[field], !value.isEmpty else { return nil }
            return value
        }
        func id(_ field: EnvelopeField) throws(SedgateError) -> SEDID? {
            guard let value = text(field) else { return nil }
            guard let id = SEDID(value) else { throw fail(field, "'\(value)' is not a UUID") }
            return id
        }
        func node(_ field: EnvelopeField) throws(SedgateError) -> NodeID? {
            guard let value = text(field) else { return nil }
            guard let id = NodeID(value) else {
                throw fail(field, "'\(value)' is not a node id ([A-Za-z0-9._-], 1-32)")
            }
            return id
        }
        func address(_ field: EnvelopeField) throws(SedgateError) -> Address {
            let value = text(field) ?? ""
            guard let address = Address(value) else {
                throw fail(field, "'\(value)' is not an address of the form CC:INSTITUTION[:OFFICE[:EXTRA]]")
            }
            return address
        }
        func integer(_ field: EnvelopeField) throws(SedgateError) -> Int? {
            guard let value = text(field) else { return nil }
            guard let number = Int(value), number >= 0 else {
                throw fail(field, "'\(value)' is not a non-negative integer")
            }
            return number
        }

        sedId = try id(.sedId)
        sedType = text(.sedType)!
        sedVersion = text(.sedVersion)!
        let sector = text(.sector)!
        guard Envelope.sectors.contains(sector) else {
            throw fail(
                .sector, "'\(sector)' is not a sector code (\(Envelope.sectors.sorted().joined(separator: ", ")))")
        }
        self.sector = sector
        bucType = text(.bucType)!
        caseId = text(.caseId)!
        senderFileNo = text(.senderFileNo)
        receiverFileNo = text(.receiverFileNo)
        sender = try address(.sender)
        receiver = try address(.receiver)
        sendingAP = try node(.sendingAP)
        receivingAP = try node(.receivingAP)
        inReplyTo = try id(.inReplyTo)
        seqNo = try integer(.seqNo)
        createdAt = text(.createdAt)
        language = text(.language)
        switch text(.ackRequested) {
        case nil: ackRequested = nil
        case "true", "1": ackRequested = true
        case "false", "0": ackRequested = false
        case let other?: throw fail(.ackRequested, "'\(other)' is not true or false")
        }
        switch text(.interaction) {
        case nil: interaction = .async
        case let value?:
            guard let parsed = Interaction(rawValue: value) else {
                throw fail(.interaction, "'\(value)' is not ASYNC or SYNC")
            }
            interaction = parsed
        }
        dueDate = text(.dueDate)
        contentType = text(.contentType)
        payloadSize = try integer(.payloadSize)
    }

    /// The text form of one field, or nil when it is absent.
    public subscript(field: EnvelopeField) -> String? {
        switch field {
        case .sedId: return sedId?.rawValue
        case .sedType: return sedType
        case .sedVersion: return sedVersion
        case .sector: return sector
        case .bucType: return bucType
        case .caseId: return caseId
        case .senderFileNo: return senderFileNo
        case .receiverFileNo: return receiverFileNo
        case .sender: return sender.description
        case .receiver: return receiver.description
        case .sendingAP: return sendingAP?.rawValue
        case .receivingAP: return receivingAP?.rawValue
        case .inReplyTo: return inReplyTo?.rawValue
        case .seqNo: return seqNo.map(String.init)
        case .createdAt: return createdAt
        case .language: return language
        case .ackRequested: return ackRequested.map { $0 ? "true" : "false" }
        case .interaction: return interaction.rawValue
        case .dueDate: return dueDate
        case .contentType: return contentType
        case .payloadSize: return payloadSize.map(String.init)
        }
    }

    /// All present fields as text, in canonical order.
    public var fields: [(EnvelopeField, String)] {
        EnvelopeField.allCases.compactMap { field in self[field].map { (field, $0) } }
    }

    /// The conversation this SED belongs to, within which `seqNo` orders SEDs: one case (`caseId`) from one
    /// institution to another. Nil for a synchronous SED, which is relayed at once on its own lane and never waits
    /// for another (`SyncDeadline`: its reply is due by a deadline).
    public var conversation: String? {
        guard interaction == .async else { return nil }
        return "\(sender)>\(receiver)#\(caseId)"
    }
}
