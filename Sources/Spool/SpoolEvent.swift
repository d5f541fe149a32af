// SpoolEvent: what the outbound watcher reports: a committed file to take, or an entry refused as it stands.

public import SedgateCore

/// A file a producer has committed to `outbound/` (renamed in, or closed after writing and settled).
public struct CommittedFile: Sendable, Hashable {
    /// The name relative to `outbound/`: `x.xml` or `profile/x.xml`.
    public let relativePath: String
    /// The absolute path (as the watcher was given the folder).
    public let path: String
    /// The profile folder it was dropped in, or nil for `outbound/` itself.
    public let profile: String?

    /// Makes a committed-file record.
    public init(relativePath: String, path: String, profile: String?) {
        self.relativePath = relativePath
        self.path = path
        self.profile = profile
    }
}

/// One thing the outbound watcher found.
public enum SpoolEvent: Sendable {
    /// A committed regular file, ready to be taken (the consumer moves it away).
    case committed(CommittedFile)
    /// An entry that will never be taken as it is (a symbolic link, a folder that is not a profile, a FIFO or device,
    /// a name with a control character or invalid UTF-8). The consumer should move it to `rejected/` with `reason`;
    /// for a link, the link itself is moved. For a name that is not valid UTF-8, `path` holds U+FFFD in place of
    /// the bad bytes and cannot be opened: the reason asks an operator to rename the file.
    case refused(path: String, relativePath: String, reason: SedgateError)

    /// The name relative to `outbound/`, whichever the case.
    public var relativePath: String {
        switch self {
        case .committed(let file): file.relativePath
        case .refused(_, let relativePath, _): relativePath
        }
    }
}
