// ByteSource: a bounded read buffer over a file descriptor or bytes in memory, for record-at-a-time reading.

import Glibc
package import SedgateCore

/// Reads input in 1 MiB chunks; memory stays bounded whatever the file size.
package struct ByteSource {
    private var buffer: [UInt8]
    private var start = 0
    private let fd: Int32?
    private var atEnd: Bool
    private let name: String
    /// Bytes consumed so far.
    private(set) var consumed = 0

    /// Reads from an open descriptor (not closed here).
    package init(fd: Int32, name: String) {
        self.fd = fd
        self.buffer = []
        self.atEnd = false
        self.name = name
    }

    /// Reads from memory.
    init(bytes: [UInt8], name: String) {
        self.fd = nil
        self.buffer = bytes
        self.atEnd = true
        self.name = name
    }

    /// Up to `count` bytes from the current position (fewer only at the end of input).
    package mutating func peek(_ count: Int) throws(SedgateError) -> ArraySlice<UInt8> {
        while buffer.count - start < count && !atEnd { try fill() }
        return buffer[start..<min(buffer.count, start + count)]
    }

    /// Skips `count` bytes (which `peek` returned).
    package mutating func consume(_ count: Int) {
        start += count
        consumed += count
    }

    private mutating func fill() throws(SedgateError) {
        guard let fd else {
            atEnd = true
            return
        }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let chunk = 1 << 20
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + old, chunk) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                buffer.removeLast(chunk)
                throw SedgateError(
                    .io, "cannot read the file: \(String(cString: strerror(errno)))", location: .init(file: name))
            }
            buffer.removeLast(chunk - count)
            if count == 0 { atEnd = true }
            return
        }
    }
}

/// Writes output through a 1 MiB buffer to a file descriptor, or collects it in memory.
package struct ByteSink {
    private var buffer: [UInt8] = []
    private let fd: Int32?
    private let name: String
    /// Everything written, when collecting in memory.
    private(set) var collected: [UInt8] = []
    /// Bytes written so far.
    private(set) var written = 0

    package init(fd: Int32?, name: String) {
        self.fd = fd
        self.name = name
        buffer.reserveCapacity(1 << 20)
    }

    package mutating func write(_ bytes: some Sequence<UInt8>) throws(SedgateError) {
        let before = buffer.count
        buffer.append(contentsOf: bytes)
        written += buffer.count - before
        if buffer.count >= 1 << 20 { try flush() }
    }

    package mutating func flush() throws(SedgateError) {
        guard let fd else {
            collected += buffer
            buffer.removeAll(keepingCapacity: true)
            return
        }
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                throw SedgateError(
                    .io, "cannot write the output: \(String(cString: strerror(errno))); check free space",
                    location: .init(file: name))
            }
            offset += count
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
