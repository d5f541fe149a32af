// SpoolLayout: the folders of one node's spool (the README's spool contract) and their creation. Writes directories only.

import Glibc
public import SedgateCore

/// The folders of `spool/<node>/`: the contract folders national systems see, and `var/` for the gateway's own queues.
///
/// Contract folders: `outbound/` (files to send), `reports/` (status files), `rejected/` (refused originals beside
/// `.error` files), `inbound/` (received documents), `manual/` (documents without a known recipient).
/// `var/` is internal and may change: `var/intake` (taken from outbound, not yet journalled), `var/store`
/// (journalled payloads) and `var/tmp` (temporary files, on the same file system so a rename commits them).
public struct SpoolLayout: Sendable, Hashable {
    /// The spool root, `spool/<node>`.
    public let root: String
    /// `<root>/outbound`: national systems drop files to send here.
    public let outbound: String
    /// `<root>/reports`: one JSON status file per outbound item and state.
    public let reports: String
    /// `<root>/rejected`: original bytes of anything refused, beside `<name>.error`.
    public let rejected: String
    /// `<root>/inbound`: received documents, renamed into place when complete.
    public let inbound: String
    /// `<root>/manual`: received documents whose recipient could not be determined.
    public let manual: String
    /// `<root>/var`: the gateway's internal queues (not part of the contract).
    public let varDirectory: String
    /// `<root>/var/intake`: files taken from `outbound/`, waiting to be journalled.
    public let intake: String
    /// `<root>/var/store`: payloads the journal refers to.
    public let store: String
    /// `<root>/var/tmp`: temporary files; on the spool's file system so a rename commits them.
    public let tmp: String

    /// Names the folders under `root` (nothing is created; see `create()`).
    public init(root: String) {
        let base = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.root = base
        outbound = Syscall.join(base, "outbound")
        reports = Syscall.join(base, "reports")
        rejected = Syscall.join(base, "rejected")
        inbound = Syscall.join(base, "inbound")
        manual = Syscall.join(base, "manual")
        varDirectory = Syscall.join(base, "var")
        intake = Syscall.join(varDirectory, "intake")
        store = Syscall.join(varDirectory, "store")
        tmp = Syscall.join(varDirectory, "tmp")
    }

    /// Every folder, parents first.
    public var allDirectories: [String] {
        [root, outbound, reports, rejected, inbound, manual, varDirectory, intake, store, tmp]
    }

    /// Creates every folder that is missing (mode 0750, parents of the root too); existing folders are kept.
    /// Then every folder of the spool and the root's parent are fsynced, so the folders themselves (and with them
    /// the journal inside var/) survive a power cut right after a first start. Throws `.io` when a path exists
    /// but is not a directory, or cannot be created.
    public func create() throws(SedgateError) {
        try Self.makeDirectories(root)
        for directory in allDirectories.dropFirst() {
            try Self.makeDirectory(directory)
        }
        try SpoolFile.fsyncDirectory(Syscall.directory(of: root))
        for directory in allDirectories { try SpoolFile.fsyncDirectory(directory) }
    }

    /// Removes what a killed node left half-written: everything in `var/tmp/`, and the temporary names
    /// (`.<name>.<token>.tmp`, see `SpoolFile.writeAtomically`) in `var/store/` and `reports/`. None is ever the
    /// only copy of anything: a file leaves its temporary name only by the rename that commits it. Run when a node
    /// starts, before any of its services. Returns how many entries went.
    @discardableResult
    public func sweepTemporaryFiles() -> Int {
        var removed = Self.remove(in: tmp) { _ in true }
        for folder in [store, reports] {
            removed += Self.remove(in: folder) { name in
                name.first == UInt8(ascii: ".") && name.count > 5 && name.suffix(4).elementsEqual(".tmp".utf8)
            }
        }
        return removed
    }

    /// Unlinks the entries of `folder` whose raw names `matching` accepts; returns how many went.
    private static func remove(in folder: String, matching: ([UInt8]) -> Bool) -> Int {
        var removed = 0
        guard let stream = opendir(folder) else { return 0 }
        defer { closedir(stream) }
        let descriptor = dirfd(stream)
        // Raw names, removed relative to the folder: a name that is not valid UTF-8 goes too.
        for name in Syscall.names(in: folder) ?? [] where matching(name) {
            let gone = (name + [0]).withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { unlinkat(descriptor, $0.baseAddress!, 0) == 0 }
            }
            if gone { removed += 1 }
        }
        return removed
    }

    /// `mkdir -p` for the root: each missing ancestor is created in turn.
    static func makeDirectories(_ path: String) throws(SedgateError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            try makeDirectory(prefix)
        }
    }

    /// Creates one directory unless it already exists as a directory (a link to one is accepted for the root).
    static func makeDirectory(_ path: String) throws(SedgateError) {
        if mkdir(path, 0o750) == 0 { return }
        let code = errno
        var info = stat()
        if code == EEXIST, stat(path, &info) == 0, Syscall.kind(info) == S_IFDIR { return }
        if code == EEXIST {
            throw SedgateError(
                .io, "\(path) exists but is not a directory; move it away so the spool can be created",
                location: .init(file: path))
        }
        throw Syscall.error(
            "create the spool directory", path, errno: code,
            remedy: "check that the gateway's user may write to its parent")
    }
}
