// MessageStore: the journal every node keeps (the README's states): SED ids, states and their history, the
// intake log, the seen-set and the outgoing signal queue. SQLite implements it now (Store target);
// PostgreSQL for a clustered CN implements the same protocol later.

/// Which way a journalled SED travels on this node.
public enum Direction: String, Sendable, Codable, Hashable {
    /// Outbound at the sending AP: taken from `outbound/`, sent to the CN.
    case outbound = "out"
    /// Relayed by the CN: received from one AP, forwarded to another.
    case relay
    /// Inbound at the receiving AP: received from the CN, placed in `inbound/`.
    case inbound = "in"
}

/// One journalled SED on one node.
public struct MessageRecord: Sendable, Hashable {
    /// Arrival order on this node; forwarding follows it.
    public var seq: Int64
    public var sedId: SEDID
    public var direction: Direction
    public var state: SEDState
    /// The user's name for it: the original `outbound/` name, or the `inbound/` name once landed.
    public var file: String?
    /// The next hop (outbound: the CN; relay: the destination AP) or, inbound, the origin AP.
    public var peer: NodeID
    /// The access point that sent it.
    public var origin: NodeID
    public var envelope: Envelope
    /// Where the payload bytes are kept on this node (relative to the node's spool root).
    public var payloadPath: String
    public var size: Int
    public var attempts: Int
    public var lastError: String?
    public var createdAt: String
    public var updatedAt: String

    public init(
        seq: Int64 = 0, sedId: SEDID, direction: Direction, state: SEDState, file: String?, peer: NodeID,
        origin: NodeID, envelope: Envelope, payloadPath: String, size: Int, attempts: Int = 0,
        lastError: String? = nil, createdAt: String = "", updatedAt: String = ""
    ) {
        self.seq = seq
        self.sedId = sedId
        self.direction = direction
        self.state = state
        self.file = file
        self.peer = peer
        self.origin = origin
        self.envelope = envelope
        self.payloadPath = payloadPath
        self.size = size
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One line of a SED's history on this node.
public struct HistoryEvent: Sendable, Hashable {
    public var sedId: SEDID
    public var direction: Direction
    public var state: SEDState
    public var at: String
    public var detail: String?

    public init(sedId: SEDID, direction: Direction, state: SEDState, at: String, detail: String?) {
        self.sedId = sedId
        self.direction = direction
        self.state = state
        self.at = at
        self.detail = detail
    }
}

/// A file taken from `outbound/` but not yet accepted or rejected: the intake log's row.
public struct IntakeRecord: Sendable, Hashable {
    /// A fresh UUID naming the taken file in the intake queue.
    public var ticket: String
    /// The relative name in `outbound/` (e.g. `claim.xml` or `profile/claim.xml`).
    public var name: String
    public var takenAt: String

    public init(ticket: String, name: String, takenAt: String) {
        self.ticket = ticket
        self.name = name
        self.takenAt = takenAt
    }
}

/// A receipt that must travel back towards the sending AP (CN → origin AP, or AP → CN).
public struct SignalRecord: Sendable, Hashable {
    public var id: Int64
    /// Whom to send it to.
    public var peer: NodeID
    public var sedId: SEDID
    /// `stored`, `delivered`, `routed` or `failed` (the receipt kinds of the protocol).
    public var kind: String
    /// The node that vouches for it (the destination AP for `delivered`).
    public var node: NodeID
    public var at: String
    /// Why, for a `failed` receipt.
    public var reason: String?
    /// The error code of a `failed` receipt (its wire name, e.g. `signature-invalid`).
    public var code: String?

    public init(
        id: Int64 = 0, peer: NodeID, sedId: SEDID, kind: String, node: NodeID, at: String, reason: String? = nil,
        code: String? = nil
    ) {
        self.code = code
        self.id = id
        self.peer = peer
        self.sedId = sedId
        self.kind = kind
        self.node = node
        self.at = at
        self.reason = reason
    }
}

/// The journal of one node. Every method is one durable transaction: when it returns, the change
/// survives a `kill -9` (and, with `synchronous = FULL`, a power cut).
/// One change of a batch the journal records in a single transaction (one sync for all of them).
public enum JournalChange: Sendable, Hashable {
    /// Moves a SED to `state` (only from `onlyFrom`, when given), as `transition` does.
    case transition(
        SEDID, Direction, to: SEDState, onlyFrom: Set<SEDState>?, file: String? = nil, detail: String? = nil)
    /// Queues a receipt for a peer, as `enqueueSignal` does.
    case signal(SignalRecord)
}

/// An inbound SED waiting in `inbound/` (or `manual/`) for the national side to take it.
public struct LandedFile: Sendable, Hashable {
    /// Its position in the journal.
    public var seq: Int64
    public var sedId: SEDID
    /// Where it landed, relative to the spool root.
    public var file: String

    public init(seq: Int64, sedId: SEDID, file: String) {
        self.seq = seq
        self.sedId = sedId
        self.file = file
    }
}

/// A SED to journal with `MessageStore.insert(batch:)`: the record, the intake ticket it ends, the history detail.
public struct NewSED: Sendable {
    public var record: MessageRecord
    public var ticket: String?
    public var detail: String?

    public init(record: MessageRecord, ticket: String?, detail: String?) {
        self.record = record
        self.ticket = ticket
        self.detail = detail
    }
}

public protocol MessageStore: Sendable {
    /// Logs that `name` is about to be taken from `outbound/` under `ticket` (before the rename).
    func beginIntake(_ record: IntakeRecord) async throws(SedgateError)
    /// Intake rows left by a crash, oldest first.
    func openIntakes() async throws(SedgateError) -> [IntakeRecord]
    /// Forgets an intake row (the file was rejected or was never taken).
    func endIntake(ticket: String, rejected: HistoryEvent?) async throws(SedgateError)
    /// Whether `ticket` already became a journalled SED (crash recovery after accept).
    func sedId(forTicket ticket: String) async throws(SedgateError) -> SEDID?

    /// Journals a new SED in `record.state`, and ends `ticket`'s intake in the same transaction.
    /// Returns false, changing nothing, when `(sedId, direction)` is already journalled: the seen-set.
    func insert(_ record: MessageRecord, ticket: String?, detail: String?) async throws(SedgateError) -> Bool
    /// `beginIntake` for a group of files, in one transaction (one sync for the group).
    func beginIntakes(_ records: [IntakeRecord]) async throws(SedgateError)
    /// `insert` for a group of SEDs, in one transaction (one sync for the group): per SED, whether it was inserted.
    func insert(batch: [NewSED]) async throws(SedgateError) -> [Bool]
    /// Moves a SED to `state`, with a history line; `file` replaces the user's name when given.
    /// Returns false if the SED is unknown or `onlyFrom` does not contain its current state.
    @discardableResult
    func transition(
        _ sedId: SEDID, _ direction: Direction, to state: SEDState, onlyFrom: Set<SEDState>?, file: String?,
        detail: String?
    ) async throws(SedgateError) -> Bool
    /// Records `changes` in one transaction, in order: one sync for the batch (group commit). Returns, per change,
    /// whether it took effect (a transition whose SED was not in an allowed state, or a receipt already queued,
    /// did not).
    func apply(_ changes: [JournalChange]) async throws(SedgateError) -> [Bool]
    /// Counts a failed attempt and keeps its reason.
    func noteAttempt(_ sedId: SEDID, _ direction: Direction, error: String) async throws(SedgateError)
    /// SEDs in `state`, oldest first, optionally only for one peer.
    func records(
        _ direction: Direction, in state: SEDState, peer: NodeID?, limit: Int
    ) async throws(SedgateError)
        -> [MessageRecord]
    /// `records(_:in:peer:limit:)` of one interaction only: the synchronous lane's queue, or the batches' without it.
    func records(
        _ direction: Direction, in state: SEDState, peer: NodeID?, interaction: Interaction, limit: Int
    ) async throws(SedgateError) -> [MessageRecord]
    /// SEDs of one interaction journalled after position `seq`, in any state, in journal order: how the synchronous
    /// requests an access point sends are found (`MessageStore+Interaction.swift`).
    func records(
        _ direction: Direction, interaction: Interaction, after seq: Int64, limit: Int
    ) async throws(SedgateError) -> [MessageRecord]
    /// One SED as journalled.
    func record(_ sedId: SEDID, _ direction: Direction) async throws(SedgateError) -> MessageRecord?
    /// The SEDs among `sedIds` that are journalled in `direction`, by id (one read for a whole message: the
    /// seen-set check of a compound message, the receipts it carries).
    func records(_ sedIds: [SEDID], _ direction: Direction) async throws(SedgateError) -> [SEDID: MessageRecord]
    /// Inbound SEDs landed and not yet taken by the national side, after journal position `seq`, oldest first:
    /// what the take-up reconcile pages through (no envelopes decoded, so 250,000 stay cheap).
    func landedFiles(after seq: Int64, limit: Int) async throws(SedgateError) -> [LandedFile]
    /// The inbound SED landed at `file` (spool-relative, e.g. `inbound/x.xml`) and not yet taken, if any.
    func landed(file: String) async throws(SedgateError) -> LandedFile?
    /// A SED's history on this node, oldest first.
    func history(_ sedId: SEDID) async throws(SedgateError) -> [HistoryEvent]
    /// How many SEDs are in each (direction, state).
    func counts() async throws(SedgateError) -> [Direction: [SEDState: Int]]
    /// Where the payloads of the SEDs in these states are kept (relative paths), for sweeping copies no longer needed.
    func payloadPaths(_ direction: Direction, in states: Set<SEDState>) async throws(SedgateError) -> [String]
    /// How many SEDs are in one (direction, state): the queue depth back-pressure looks at.
    func count(_ direction: Direction, in state: SEDState) async throws(SedgateError) -> Int

    /// The highest sequence number of a conversation (`Envelope.conversation`) on this node: outbound, the last one
    /// given to a SED (raised by `insert`); inbound, the last one landed (raised by `transition` to `landed`).
    /// Nil for a conversation this node does not know, or has forgotten.
    func lastSequence(_ direction: Direction, conversation: String) async throws(SedgateError) -> Int?
    /// `lastSequence` of many conversations in one read; conversations the node does not know are left out.
    func lastSequences(_ direction: Direction, conversations: [String]) async throws(SedgateError) -> [String: Int]
    /// Inbound SEDs of one conversation received but not yet landed (`received` or `waiting`), by sequence number.
    func unlanded(conversation: String) async throws(SedgateError) -> [MessageRecord]
    /// `unlanded` of many conversations in one read; conversations with nothing to land are left out.
    func unlanded(conversations: [String]) async throws(SedgateError) -> [String: [MessageRecord]]
    /// Conversations with a `waiting` SED that may land now: it waited since before `cutoff` (a timestamp), or
    /// the SED before it has landed (or was given up by an operator) since it began to wait.
    func conversationsToSettle(waitingSince cutoff: String) async throws(SedgateError) -> [String]
    /// Gives up the SEDs of a conversation numbered below `seqNo` that have not arrived (an operator's decision):
    /// the inbound sequence is raised to `seqNo - 1`, so the SED numbered `seqNo` may land next.
    func skipSequence(conversation: String, before seqNo: Int) async throws(SedgateError)

    /// Queues a receipt to send to `signal.peer`; idempotent on (peer, sedId, kind).
    func enqueueSignal(_ signal: SignalRecord) async throws(SedgateError)
    /// Receipts waiting for `peer` (or all peers), oldest first.
    func pendingSignals(peer: NodeID?, limit: Int) async throws(SedgateError) -> [SignalRecord]
    /// Marks a receipt as sent.
    func completeSignal(id: Int64) async throws(SedgateError)
    /// Marks receipts as sent, in one transaction.
    func completeSignals(ids: [Int64]) async throws(SedgateError)
    /// Marks the receipt for (peer, sedId, kind) as sent (pull mode: the peer acknowledged what it pulled).
    func completeSignal(peer: NodeID, sedId: SEDID, kind: String) async throws(SedgateError)
}

extension MessageStore {
    /// One transaction per intake: a store without group commit.
    public func beginIntakes(_ records: [IntakeRecord]) async throws(SedgateError) {
        for record in records { try await beginIntake(record) }
    }

    /// One transaction per receipt: a store without group commit.
    public func completeSignals(ids: [Int64]) async throws(SedgateError) {
        for id in ids { try await completeSignal(id: id) }
    }

    /// One read per SED: a store without a set lookup.
    public func records(_ sedIds: [SEDID], _ direction: Direction) async throws(SedgateError) -> [SEDID: MessageRecord]
    {
        var found: [SEDID: MessageRecord] = [:]
        for sedId in Set(sedIds) {
            if let record = try await record(sedId, direction) { found[sedId] = record }
        }
        return found
    }

    /// One read per conversation: a store without a set lookup.
    public func lastSequences(
        _ direction: Direction, conversations: [String]
    ) async throws(SedgateError) -> [String: Int] {
        var found: [String: Int] = [:]
        for conversation in Set(conversations) {
            if let last = try await lastSequence(direction, conversation: conversation) { found[conversation] = last }
        }
        return found
    }

    /// One read per conversation: a store without a set lookup.
    public func unlanded(conversations: [String]) async throws(SedgateError) -> [String: [MessageRecord]] {
        var found: [String: [MessageRecord]] = [:]
        for conversation in Set(conversations) {
            let records = try await unlanded(conversation: conversation)
            if !records.isEmpty { found[conversation] = records }
        }
        return found
    }

    /// One transaction per SED: a store without group commit.
    public func insert(batch: [NewSED]) async throws(SedgateError) -> [Bool] {
        var inserted: [Bool] = []
        for item in batch { inserted.append(try await insert(item.record, ticket: item.ticket, detail: item.detail)) }
        return inserted
    }
}
