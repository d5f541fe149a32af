// OutboundEntry: the verdict on one name in `outbound/` (or a profile folder): ignore, take, refuse, or descend.
// Reads directory entries with lstat (links are never followed); writes nothing.

import Glibc
import SedgateCore

/// One entry of `outbound/` or of a profile folder, as the watcher sees it.
struct OutboundEntry {
    /// Identity of an entry: which inode sits at the name. A new inode at the same name is a new commit.
    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// What an entry looked like at one moment: unchanged size and mtime over the settle time means settled.
    struct Observation: Hashable {
        var identity: Identity
        var size: Int64
        /// Modification time, nanoseconds since the epoch.
        var mtime: Int64
    }

    /// The name relative to `outbound/` (U+FFFD for bytes that are not UTF-8).
    var relativePath: String
    /// The full path.
    var path: String
    /// The name as the file system holds it (which may not be valid UTF-8).
    var rawName: [UInt8]
    /// The profile folder it is in, if any.
    var profile: String?
    var observation: Observation
    /// A regular file (which may still be settling), as opposed to a link, folder, FIFO or device.
    var isRegularFile: Bool
    /// Set when the entry is a folder named after a configured profile: descend into it, do not report it.
    var profileFolder: String?
    /// Why the entry will not be taken as it is; nil for an acceptable file.
    var refusal: SedgateError?

    /// The event that reports this entry.
    var event: SpoolEvent {
        if let refusal { return .refused(path: path, relativePath: relativePath, reason: refusal) }
        return .committed(CommittedFile(relativePath: relativePath, path: path, profile: profile))
    }

    /// Inspects `rawName` in `outbound/` (profile nil) or `outbound/<profile>/`. Nil when the entry is to be ignored
    /// (dot-files, `*.part`, `*.tmp`) or is gone.
    static func inspect(
        root: String, profile: String?, rawName: [UInt8], allowedProfiles: Set<String>
    )
        -> OutboundEntry?
    {
        let folder = profile.map { Syscall.join(root, $0) } ?? root
        let verdict = OutboundName.classify(rawName)
        if verdict == .ignore { return nil }
        let (found, _) = Syscall.lstat(bytes: Array(folder.utf8) + [UInt8(ascii: "/")] + rawName)
        guard let info = found else { return nil }
        let shown = OutboundName.lossy(rawName)
        let relative = profile.map { "\($0)/\(shown)" } ?? shown
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let observation = Observation(
            identity: Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)),
            size: Int64(info.st_size), mtime: mtime)
        let kind = Syscall.kind(info)
        var entry = OutboundEntry(
            relativePath: relative, path: Syscall.join(folder, shown), rawName: rawName, profile: profile,
            observation: observation, isRegularFile: kind == S_IFREG)

        func refusal(_ why: String) -> SedgateError {
            // Escaped, so a newline in a name cannot forge lines in logs and .error files.
            let shown = "outbound/" + OutboundName.printable(relative)
            return SedgateError(.hostileInput, "\(shown) \(why)", location: .init(file: shown))
        }
        switch kind {
        case S_IFREG:
            if case .refuse(let why) = verdict {
                entry.refusal = refusal(why)
            } else if info.st_nlink > 1 {
                // Another name of the same file lives elsewhere: taking it would read a file outside the spool.
                entry.refusal = refusal(
                    "has \(info.st_nlink) hard links; a file linked into the spool from elsewhere is never read, "
                        + "so copy or move the file itself in")
            }
        case S_IFDIR where profile == nil && verdict == .accept(shown) && allowedProfiles.contains(shown):
            entry.profileFolder = shown
        case S_IFDIR where profile == nil && verdict == .accept(shown) && shown.hasSuffix(".batch"):
            // A batch folder fills up before its `<batch>.manifest` commits it; the manifest takes it along.
            return nil
        case S_IFDIR:
            let known =
                allowedProfiles.isEmpty ? "none is configured" : allowedProfiles.sorted().joined(separator: ", ")
            let what =
                profile == nil
                ? "is a folder but not a configured profile (\(known))"
                : "is a folder inside a profile folder, and only one level is read"
            entry.refusal = refusal("\(what); move its files into outbound/ or configure the profile")
        case S_IFLNK:
            entry.refusal = refusal("is a symbolic link; links are never followed, so place the file itself")
        default:
            entry.refusal = refusal("is not a regular file (a FIFO, socket or device); only regular files are taken")
        }
        return entry
    }

    /// Every entry of `outbound/` (profile nil) or one profile folder, unsorted; nil when the folder cannot be read.
    static func list(root: String, profile: String?, allowedProfiles: Set<String>) -> [OutboundEntry]? {
        let folder = profile.map { Syscall.join(root, $0) } ?? root
        guard let names = Syscall.names(in: folder) else { return nil }
        return names.compactMap {
            inspect(root: root, profile: profile, rawName: $0, allowedProfiles: allowedProfiles)
        }
    }
}

/// Rules for names in `outbound/`.
enum OutboundName {
    /// The verdict on a name by itself.
    enum Verdict: Equatable {
        /// A producer's temporary file, or a dot-file: never taken, never reported.
        case ignore
        /// A name that cannot be taken: the reason completes "outbound/<name> ...".
        case refuse(String)
        /// An acceptable name.
        case accept(String)
    }

    /// Dot-files, `*.part` and `*.tmp` are ignored; invalid UTF-8 and control characters (a newline, say) refused.
    static func classify(_ raw: [UInt8]) -> Verdict {
        guard let first = raw.first, first != UInt8(ascii: ".") else { return .ignore }
        if raw.hasSuffix(Array(".part".utf8)) || raw.hasSuffix(Array(".tmp".utf8)) { return .ignore }
        guard let name = String(validating: raw, as: UTF8.self) else {
            return .refuse("has a name that is not valid UTF-8; find it with `ls -b`, rename it and resubmit")
        }
        let control = name.unicodeScalars.contains {
            switch $0.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
        if control { return .refuse("has a control character (such as a newline) in its name; rename it and resubmit") }
        return .accept(name)
    }

    /// The name with control characters escaped (`\n`, `\u{7}`), safe to print on one line.
    static func printable(_ name: String) -> String {
        var text = ""
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: text += scalar.escaped(asASCII: true)
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    /// The name as text, with U+FFFD for bytes that are not valid UTF-8.
    static func lossy(_ raw: [UInt8]) -> String {
        String(decoding: raw, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Whether the bytes end with `suffix`.
    fileprivate func hasSuffix(_ suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
