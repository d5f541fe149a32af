// FileText: whole small files (mapping files) read as UTF-8 text, with a SedgateError naming the file.

import Glibc
import SedgateCore

/// Reads small text files.
enum FileText {
    /// The file's bytes; throws `.io` naming the path when it cannot be opened or read.
    static func bytes(_ path: String) throws(SedgateError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SedgateError(
                .io, "cannot open the file: \(String(cString: strerror(errno))); check the path and permissions",
                location: .init(file: path))
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SedgateError(
                    .io, "cannot read the file: \(String(cString: strerror(errno)))", location: .init(file: path))
            }
            if count == 0 { return result }
            result += buffer[0..<count]
        }
    }

    /// The file as UTF-8 text; throws `.configuration` if it is not UTF-8.
    static func read(_ path: String) throws(SedgateError) -> String {
        let data = try bytes(path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw SedgateError(
                .configuration, "the file is not UTF-8 text; save it as UTF-8", location: .init(file: path))
        }
        return text
    }
}
