// Gzip: gzip (RFC 1952) compression and bounded decompression of message parts held in memory.
// Decompression stops as soon as the output would exceed the caller's limit: a bomb never gets allocated.

public import Foundation
public import SedgateCore
import Synchronization

/// Gzip compression of parts (`Content-Encoding: gzip`), with zlib in gzip format (windowBits 15 + 16).
///
/// Decompression always takes a limit on the output size, because the input comes from peers: 100 KB of
/// gzip can expand to 100 MB. Output over the limit is refused as `.hostileInput` after at most the limit
/// plus one 64 KiB chunk has been produced. Concatenated gzip members are read as one stream, as `gunzip` does.
public enum Gzip {
    /// The compression level used unless a caller picks another (zlib's default balance of speed and size).
    public static let defaultLevel: Int32 = 6

    /// `data` compressed to the gzip format at `level` (1 fastest ... 9 smallest).
    public static func compress(_ data: Data, level: Int32 = defaultLevel) -> Data {
        var result = Data()
        do {
            let stream = try idleStreams.take(.compress(level: level))
            try data.withBytes { (input) throws(SedgateError) in
                _ = try stream.process(input, finish: true) { (chunk) throws(SedgateError) in
                    result.append(contentsOf: chunk)
                }
            }
            idleStreams.give(stream)
        } catch {
            // Compressing in memory fails only when zlib cannot allocate its state: nothing sensible is left.
            fatalError("gzip compression failed: \(error)")
        }
        return result
    }

    /// Compressors and decompressors between two calls: a SED of a few kilobytes is compressed faster than zlib
    /// starts (allocates and zeroes) a compressor for it, and decompressed in about the time a decompressor takes to
    /// start, so they are kept and reset instead.
    private static let idleStreams = IdleStreams()

    /// The bytes `data` decompresses to, refusing more than `limit` bytes of output.
    ///
    /// Throws `.hostileInput` when the output would exceed `limit` (a decompression bomb) and
    /// `.protocolViolation` when `data` is not gzip or is truncated.
    public static func decompress(_ data: Data, limit: Int) throws(SedgateError) -> Data {
        var result = Data()
        try data.withBytes { (input) throws(SedgateError) in
            try decompress(input, limit: Int64(limit), source: "gzip data") { (chunk) throws(SedgateError) in
                result.append(contentsOf: chunk)
            }
        }
        return result
    }

    /// Decompresses all of `input` into `sink`, member after member, enforcing `limit` on the total output, with a
    /// kept decompressor (given back, reset, only when the input decompressed completely).
    static func decompress(
        _ input: UnsafeRawBufferPointer, limit: Int64, source: String,
        sink: (UnsafeRawBufferPointer) throws(SedgateError) -> Void
    ) throws(SedgateError) {
        let stream = try idleStreams.take(.decompress)
        let inflater = Inflater(limit: limit, source: source, stream: stream)
        try inflater.feed(input, sink: sink)
        try inflater.finish()
        idleStreams.give(stream)
    }
}

/// A few reset zlib streams (compressors and decompressors), each used by one thread at a time: taken out under the
/// lock, given back after use.
private final class IdleStreams: Sendable {
    /// A stream held here; none is used while it is here.
    private struct Idle: @unchecked Sendable {
        let stream: ZStream
    }

    /// At most this many of each direction are kept (one per sealing thread covers a node; more are simply ended).
    private static let capacity = 8
    private let compressors = Mutex<[Idle]>([])
    private let decompressors = Mutex<[Idle]>([])

    /// A stream going `direction` (a compressor at that level, or a decompressor), kept or new.
    func take(_ direction: ZStream.Direction) throws(SedgateError) -> ZStream {
        let kept: Idle?
        switch direction {
        case .compress(let level):
            kept = compressors.withLock { idle in
                idle.lastIndex { $0.stream.compressionLevel == level }.map { idle.remove(at: $0) }
            }
        case .decompress:
            kept = decompressors.withLock { $0.popLast() }
        }
        if let kept { return kept.stream }
        return try ZStream(direction)
    }

    /// Takes back a stream whose work ended well: a compressor that finished its gzip member, a decompressor at the
    /// end of one; reset for the next.
    func give(_ stream: ZStream) {
        let kept = Idle(stream: stream)
        if stream.compressionLevel != nil {
            stream.resetCompressor()
            compressors.withLock { idle in
                if idle.count < Self.capacity { idle.append(kept) }
            }
        } else {
            stream.resetForNextMember()
            decompressors.withLock { idle in
                if idle.count < Self.capacity { idle.append(kept) }
            }
        }
    }
}
