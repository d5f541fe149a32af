// Gzip+File: streaming gzip of one file into another, 64 KiB at a time, with the output written atomically.
// Reads the source file; writes the target through a temporary name, fsync and rename.

public import SedgateCore

extension Gzip {
    /// Compresses the file at `source` into a new file at `target`; returns the compressed size.
    ///
    /// Memory stays at a few chunks whatever the file size. The target appears complete or not at all.
    @discardableResult
    public static func compress(
        file source: String, to target: String, level: Int32 = defaultLevel
    )
        throws(SedgateError) -> Int64
    {
        let input = try ReadableFile(path: source)
        let output = try DurableFile(path: target)
        let stream = try ZStream(.compress(level: level))
        var chunk = [UInt8](repeating: 0, count: Syscall.chunkSize)
        var offset: Int64 = 0
        while true {
            let count = try chunk.withMutableBytes { (buffer) throws(SedgateError) in
                try input.read(into: buffer, at: offset)
            }
            offset += Int64(count)
            let last = count < chunk.count
            try chunk.withBytes { (bytes) throws(SedgateError) in
                _ = try stream.process(UnsafeRawBufferPointer(rebasing: bytes[..<count]), finish: last) {
                    (compressed) throws(SedgateError) in try output.write(compressed)
                }
            }
            if last { break }
        }
        try output.commit()
        return output.count
    }

    /// Decompresses the gzip file at `source` into a new file at `target`, refusing more than `limit` bytes.
    ///
    /// Throws `.hostileInput` as soon as the output passes `limit` (nothing is left at `target`) and
    /// `.protocolViolation` when the source is not gzip or is truncated. Returns the decompressed size.
    @discardableResult
    public static func decompress(
        file source: String, to target: String, limit: Int64
    ) throws(SedgateError)
        -> Int64
    {
        let input = try ReadableFile(path: source)
        let output = try DurableFile(path: target)
        let inflater = try Inflater(limit: limit, source: source)
        var chunk = [UInt8](repeating: 0, count: Syscall.chunkSize)
        var offset: Int64 = 0
        while true {
            let count = try chunk.withMutableBytes { (buffer) throws(SedgateError) in
                try input.read(into: buffer, at: offset)
            }
            if count == 0 { break }
            offset += Int64(count)
            try chunk.withBytes { (bytes) throws(SedgateError) in
                try inflater.feed(UnsafeRawBufferPointer(rebasing: bytes[..<count])) {
                    (plain) throws(SedgateError) in try output.write(plain)
                }
            }
        }
        try inflater.finish()
        try output.commit()
        return output.count
    }
}
