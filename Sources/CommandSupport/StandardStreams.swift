// StandardStreams: unbuffered writes to standard error and standard output (file descriptors 2 and 1), and a line
// to standard error as `print` writes one.

import Glibc

/// Writes a line to standard error.
public func printError(_ text: String) {
    var stream = StandardError()
    print(text, to: &stream)
}

/// Standard error as a `TextOutputStream`, for `print(_:to:)`.
public struct StandardError: TextOutputStream {
    /// A stream on file descriptor 2.
    public init() {}

    public mutating func write(_ string: String) {
        FileHandleStandardError.write(string)
    }
}

/// Writes text to standard error.
public enum FileHandleStandardError {
    /// Writes all of `text`, unbuffered.
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

/// Writes bytes to standard output, unbuffered.
public enum FileHandleStandardOutput {
    /// Writes all of `bytes`, unbuffered.
    public static func write(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
