// DirectoryMessages: the JSON bodies of the directory's replication and search messages (see Protocol.md,
// "Directory messages").

import Foundation

/// The protocol server paths of the directory.
public enum DirectoryPaths {
    public static let snapshot = "/sedgate/v1/directory/snapshot"
    public static let changes = "/sedgate/v1/directory/changes"
    public static let search = "/sedgate/v1/directory/search"
}

/// One page of a snapshot: entries in id order after the page's cursor, and the serial the master was at.
public struct SnapshotPage: Codable, Sendable {
    public var serial: Int64
    public var entries: [DirectoryEntry]
    /// The cursor of the next page (`after=`), nil on the last page.
    public var next: String?
}

/// Changes after a serial, and the master's serial when they were read.
public struct ChangeBatch: Codable, Sendable {
    public var serial: Int64
    public var changes: [DirectoryChange]
}

/// What an access point asks the master to apply, signed by it.
public struct ChangeRequest: Codable, Sendable {
    public var proposals: [DirectoryProposal]
    public var why: String
}

/// The master's answer to a change request: the serial it applied them at, or why it refused them.
public struct ChangeReply: Codable, Sendable {
    public var serial: Int64?
    public var refused: String?
}

extension JSONEncoder {
    /// Sorted keys, no escaped slashes: the same bytes for the same value.
    static var directory: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
