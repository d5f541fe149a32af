// SEDFileList: which SED files `sedgate convert --to flat` reads, and in what order: the `*.xml` files of a folder
// in unit order, or the paths of a list file (or standard input) in the order listed. Reads names only, never the
// files, and costs O(n log n) in their number: 500,000 SEDs are listed in about a second, with no argument list to
// outgrow (ARG_MAX).

import Glibc
public import SedgateCore

/// The SED files that make one flat file, in unit order.
public enum SEDFileList {
    /// The `*.xml` files directly in `folder`, in unit order (see `unitOrder`). Dot-files (temporary files of a
    /// writer), sub-folders and other names are left out.
    public static func folder(_ folder: String) throws(SedgateError) -> [String] {
        guard let stream = opendir(folder) else {
            throw SedgateError(
                .io, "cannot list the folder: \(String(cString: strerror(errno))); check the path",
                location: .init(file: folder))
        }
        defer { closedir(stream) }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            guard name.first != UInt8(ascii: "."), name.count > 4, name.suffix(4).elementsEqual(".xml".utf8) else {
                continue
            }
            let type = entry.pointee.d_type
            if type == UInt8(DT_DIR) { continue }
            if type != UInt8(DT_REG) {
                // A link or a file system that does not say: ask.
                var status = stat()
                let path = prefix + String(decoding: name, as: UTF8.self)
                guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            }
            names.append(name)
        }
        names.sort { unitOrder($0, $1) }
        return names.map { prefix + String(decoding: $0, as: UTF8.self) }
    }

    /// The paths listed in `file`, one a line, in the order listed; `-` reads standard input. Empty lines are
    /// skipped and a line's final CR (a list written on Windows) is dropped; relative paths are relative to the
    /// working directory.
    public static func list(_ file: String) throws(SedgateError) -> [String] {
        let fd = file == "-" ? 0 : open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SedgateError(
                .io, "cannot open the list of SED files: \(String(cString: strerror(errno)))",
                location: .init(file: file))
        }
        defer { if fd != 0 { close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw SedgateError(
                    .io, "cannot read the list of SED files: \(String(cString: strerror(errno)))",
                    location: .init(file: file))
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return paths(in: bytes)
    }

    /// The non-empty lines of `bytes`, without a final CR each.
    static func paths(in bytes: [UInt8]) -> [String] {
        var paths: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if !trimmed.isEmpty { paths.append(String(decoding: trimmed, as: UTF8.self)) }
        }
        return paths
    }

    /// Whether the file name `left` comes before `right` in unit order: runs of digits compare as numbers, the rest
    /// byte by byte, so `x-2.xml` comes before `x-10.xml` and zero-padded names (`x-02.xml`) keep the order `ls`
    /// and a shell glob give them. Names equal as numbers (`x-2`, `x-02`) fall back to plain byte order.
    public static func unitOrder(_ left: String, _ right: String) -> Bool {
        unitOrder(Array(left.utf8), Array(right.utf8))
    }

    static func unitOrder(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        var i = 0
        var j = 0
        while i < left.count && j < right.count {
            guard isDigit(left[i]) && isDigit(right[j]) else {
                if left[i] != right[j] { return left[i] < right[j] }
                i += 1
                j += 1
                continue
            }
            var leftEnd = i
            while leftEnd < left.count && isDigit(left[leftEnd]) { leftEnd += 1 }
            var rightEnd = j
            while rightEnd < right.count && isDigit(right[rightEnd]) { rightEnd += 1 }
            while i < leftEnd - 1 && left[i] == UInt8(ascii: "0") { i += 1 }
            while j < rightEnd - 1 && right[j] == UInt8(ascii: "0") { j += 1 }
            if leftEnd - i != rightEnd - j { return leftEnd - i < rightEnd - j }
            while i < leftEnd {
                if left[i] != right[j] { return left[i] < right[j] }
                i += 1
                j += 1
            }
        }
        if i == left.count && j == right.count { return left.lexicographicallyPrecedes(right) }
        return i == left.count
    }
}
