// SEDFolderWriter: flat files → one SED file per unit in a folder, as `sedgate convert --to xml` writes them.
//
// Unit n of an input `claims.mtf` becomes `claims-<n>.xml`, n zero-padded to the width of the file's unit count
// (`claims-001.xml` … `claims-250.xml`), so `ls` and a shell glob list them in unit order and a round trip
// through `out/*.xml` gives the same flat file back. Before writing anything it refuses inputs that share a base
// name (their outputs would overwrite each other) and a folder that already holds outputs of the same base name
// (they would be overwritten, or left beside the new ones as stale units), unless told to replace them. Each SED is
// written under a dot-name and all are renamed into place only once the whole input has converted: a bad file
// (a wrong control total is only known at its end) leaves no output and the earlier outputs untouched.

import Glibc
public import SedgateCore

/// Writes the SEDs of flat files into a folder, one file per unit, named in unit order.
public struct SEDFolderWriter: Sendable {
    /// The mapping that reads the inputs.
    public let mapping: Mapping
    /// The inputs' flat format.
    public let profile: FlatProfile
    /// The output folder (created if missing).
    public let folder: String
    /// Whether earlier outputs of the same base name are removed (once the new ones are complete) instead of
    /// refused.
    public let replace: Bool

    /// Makes a writer into `folder`.
    public init(mapping: Mapping, profile: FlatProfile, folder: String, replace: Bool = false) {
        self.mapping = mapping
        self.profile = profile
        self.folder = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
        self.replace = replace
    }

    /// The base name of an input: its file name without the last extension (`in/claims.mtf` → `claims`).
    public static func base(of input: String) -> String {
        let name = input.split(separator: "/").last.map(String.init) ?? input
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// The file name of unit `unit` of `count`: `claims-07.xml` for unit 7 of 12.
    public static func name(base: String, unit: Int, count: Int) -> String {
        let digits = String(unit)
        let width = String(max(count, 1)).count
        return base + "-" + String(repeating: "0", count: max(0, width - digits.count)) + digits + ".xml"
    }

    /// Checks `inputs` against each other and against the folder before anything is written. Returns, by base
    /// name, the earlier outputs found (only when `replace` is set; otherwise they are refused).
    public func plan(_ inputs: [String]) throws(SedgateError) -> [String: [String]] {
        var owners: [String: String] = [:]
        for input in inputs {
            let base = Self.base(of: input)
            if let other = owners[base] {
                throw SedgateError(
                    .unsupportedInput,
                    "\(other) and \(input) have the same base name '\(base)': their SEDs would both be written as "
                        + "\(folder)/\(base)-<n>.xml and overwrite each other; convert them into different --out "
                        + "folders, or rename one. Nothing was written",
                    location: .init(file: input))
            }
            owners[base] = input
        }
        let earlier = try outputs(in: folder, bases: Set(owners.keys))
        if !replace, let (base, names) = earlier.min(by: { $0.key < $1.key }) {
            let shown = names.prefix(3).map { folder + "/" + $0 }.joined(separator: ", ")
            let more = names.count > 3 ? " and \(names.count - 3) more" : ""
            throw SedgateError(
                .unsupportedInput,
                "\(folder) already holds SED files of an earlier conversion of '\(base)' (\(shown)\(more)): they "
                    + "would be overwritten, or left beside the new ones and read back as if they belonged to this "
                    + "file; remove them, choose an empty --out, or pass --replace to replace them. Nothing was written",
                location: .init(file: owners[base] ?? folder))
        }
        return earlier
    }

    /// Converts `input` into the folder, replacing `earlier` (from `plan`) once the new files are complete.
    public func convert(_ input: String, replacing earlier: [String] = []) throws(SedgateError) -> ConversionSummary {
        try makeFolder()
        let base = Self.base(of: input)
        var count = 0
        var finished = false
        defer {
            if !finished {
                for unit in stride(from: 1, through: count, by: 1) { unlink(temporary(base, unit)) }
            }
        }
        let summary = try FlatReader(mapping: mapping, profile: profile, source: input).read(path: input) {
            (sed) throws(SedgateError) in
            count += 1
            try write(sed.bytes, to: temporary(base, count))
        }
        for name in earlier { unlink(folder + "/" + name) }
        for unit in stride(from: 1, through: count, by: 1) {
            let target = folder + "/" + Self.name(base: base, unit: unit, count: count)
            guard rename(temporary(base, unit), target) == 0 else {
                throw SedgateError(
                    .io, "cannot move a SED into place: \(String(cString: strerror(errno)))",
                    location: .init(file: target))
            }
        }
        finished = true
        return summary
    }

    /// The dot-name a unit is written under until its input has converted whole.
    private func temporary(_ base: String, _ unit: Int) -> String { "\(folder)/.\(base)-\(unit).xml.part" }

    private func makeFolder() throws(SedgateError) { try Self.makeFolders(folder) }

    /// Creates `path` and any missing parent folders.
    private static func makeFolders(_ path: String) throws(SedgateError) {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        if errno == ENOENT, let slash = path.lastIndex(of: "/"), slash > path.startIndex {
            try makeFolders(String(path[..<slash]))
            if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        }
        throw SedgateError(
            .io, "cannot create the output folder: \(String(cString: strerror(errno)))", location: .init(file: path))
    }

    private func write(_ bytes: [UInt8], to path: String) throws(SedgateError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SedgateError(
                .io, "cannot create a SED file: \(String(cString: strerror(errno))); check the folder",
                location: .init(file: path))
        }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw SedgateError(
                    .io, "cannot write a SED file: \(reason); check free space", location: .init(file: path))
            }
            offset += count
        }
        guard close(fd) == 0 else {
            throw SedgateError(
                .io, "cannot save a SED file: \(String(cString: strerror(errno))); check free space",
                location: .init(file: path))
        }
    }

    /// The names in `folder` that are outputs of one of `bases` (`<base>-<digits>.xml`), by base; none when the
    /// folder does not exist yet.
    private func outputs(in folder: String, bases: Set<String>) throws(SedgateError) -> [String: [String]] {
        guard let stream = opendir(folder) else {
            if errno == ENOENT { return [:] }
            throw SedgateError(
                .io, "cannot list the output folder: \(String(cString: strerror(errno)))", location: .init(file: folder)
            )
        }
        defer { closedir(stream) }
        var found: [String: [String]] = [:]
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".xml"), let dash = name.dropLast(4).lastIndex(of: "-") else { continue }
            let digits = name[name.index(after: dash)..<name.index(name.endIndex, offsetBy: -4)]
            let base = String(name[..<dash])
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), bases.contains(base) else {
                continue
            }
            found[base, default: []].append(name)
        }
        return found.mapValues { $0.sorted { SEDFileList.unitOrder($0, $1) } }
    }
}
