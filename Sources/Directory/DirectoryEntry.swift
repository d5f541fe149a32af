// DirectoryEntry: one entry of the EESSI directory (an access point or a competent institution) as a set of named
// fields the schema defines, and the changes that make the directory's history and its replication.

public import SedgateCore

/// The kinds of entry: access points (kept by the CN) and competent institutions (kept by their country's APs).
public enum EntryKind: String, Codable, Sendable, Hashable, CaseIterable {
    case accessPoint = "ap"
    case institution = "ci"
}

/// One directory entry: its kind, its id (an AP's node id, a CI's `CC:INSTITUTION[:OFFICE[:EXTRA]]` address) and
/// its fields, each a list of values (`name.el`, `sector`, `certificate`...). The schema says which fields exist.
public struct DirectoryEntry: Codable, Sendable, Hashable {
    public var kind: EntryKind
    public var id: String
    public var fields: [String: [String]]

    /// Makes an entry.
    public init(kind: EntryKind, id: String, fields: [String: [String]] = [:]) {
        self.kind = kind
        self.id = id
        self.fields = fields
    }

    /// The first value of `field`, if any.
    public func value(_ field: String) -> String? { fields[field]?.first }

    /// The institution's address (nil for an access point or a malformed id).
    public var address: Address? { kind == .institution ? Address(id) : nil }

    /// The country an entry belongs to: a CI's address country; nil for an access point.
    public var country: String? { address?.country }

    /// The access point serving this institution.
    public var accessPoint: NodeID? { kind == .institution ? value("ap").flatMap(NodeID.init) : nil }

    /// Whether this institution issues the European Health Insurance Card (ranked first in searches).
    public var isEHICIssuer: Bool {
        value("ehic-issuer") == "true" || (fields["function"] ?? []).contains("EHIC")
    }
}

/// A change asked of the directory: set an entry (insert or replace) or delete one (optionally naming the
/// institution that takes over).
public enum DirectoryProposal: Codable, Sendable, Hashable {
    case set(DirectoryEntry)
    case delete(kind: EntryKind, id: String, successor: String?)

    /// The id of the entry it changes.
    public var id: String {
        switch self {
        case .set(let entry): return entry.id
        case .delete(_, let id, _): return id
        }
    }

    /// The kind of entry it changes.
    public var kind: EntryKind {
        switch self {
        case .set(let entry): return entry.kind
        case .delete(let kind, _, _): return kind
        }
    }
}

/// One applied change: the directory's history and the unit of replication, numbered by a serial that only grows.
public struct DirectoryChange: Codable, Sendable, Hashable {
    /// `set` or `delete`.
    public enum Operation: String, Codable, Sendable { case set, delete }

    public var serial: Int64
    public var operation: Operation
    public var kind: EntryKind
    public var id: String
    /// The entry after the change; for a delete, the entry as it was, with `successor` when one was named.
    public var entry: DirectoryEntry?
    /// Who made the change (a CN operator, or the access point that asked for it).
    public var who: String
    /// When, ISO 8601 UTC.
    public var at: String
    /// Why, as given.
    public var why: String

    /// Makes a change record.
    public init(
        serial: Int64, operation: Operation, kind: EntryKind, id: String, entry: DirectoryEntry?, who: String,
        at: String, why: String
    ) {
        self.serial = serial
        self.operation = operation
        self.kind = kind
        self.id = id
        self.entry = entry
        self.who = who
        self.at = at
        self.why = why
    }
}
