// ZStream: one zlib gzip compressor or decompressor at a fixed address, fed chunk by chunk.
// Holds at most one output chunk; the caller decides where the output goes and when to stop.

import CZlib
import Foundation
import SedgateCore

/// A zlib stream in gzip format (windowBits 15 + 16). zlib keeps a pointer to its `z_stream`, so the struct
/// lives on the heap for the stream's whole life and is ended in `deinit`.
final class ZStream {
    /// Which way the bytes go.
    enum Direction {
        case compress(level: Int32)
        case decompress
    }

    /// What one step produced.
    enum Step {
        /// More input is needed (or more output will come on the next call).
        case proceeding
        /// The gzip member ended; `remaining` input bytes were not consumed.
        case memberEnded(remaining: Int)
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private let direction: Direction
    private var output: [UInt8]

    /// Starts a stream. Fails only when zlib cannot allocate its state.
    init(_ direction: Direction) throws(SedgateError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        self.direction = direction
        output = [UInt8](repeating: 0, count: Syscall.chunkSize)
        let status: Int32
        switch direction {
        case .compress(let level): status = sedgate_gzip_deflate_init(stream, level)
        case .decompress: status = sedgate_gzip_inflate_init(stream)
        }
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw SedgateError(.io, "zlib could not start (status \(status)); the node is out of memory, retry later")
        }
    }

    deinit {
        switch direction {
        case .compress: deflateEnd(stream)
        case .decompress: inflateEnd(stream)
        }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Forgets the finished gzip member so that the next one (a concatenated member) can be read.
    func resetForNextMember() {
        if case .decompress = direction { inflateReset(stream) }
    }

    /// Makes a compressor ready for a new gzip member at the same level, keeping its allocated state (starting
    /// zlib's deflate state afresh allocates and zeroes about 256 KiB).
    func resetCompressor() {
        if case .compress = direction { deflateReset(stream) }
    }

    /// The level of a compressor; nil for a decompressor.
    var compressionLevel: Int32? {
        if case .compress(let level) = direction { return level }
        return nil
    }

    /// Feeds all of `input` (empty and `finish` to end a compression) and hands every output chunk to `sink`.
    ///
    /// Decompressing, stops at the end of a gzip member and reports the unconsumed input. Throws
    /// `.protocolViolation` for data that is not gzip; errors thrown by `sink` pass through.
    func process(
        _ input: UnsafeRawBufferPointer, finish: Bool, sink: (UnsafeRawBufferPointer) throws(SedgateError) -> Void
    ) throws(SedgateError) -> Step {
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let (status, produced) = output.withUnsafeMutableBytes { buffer in
                stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(buffer.count)
                let status: Int32
                switch direction {
                case .compress: status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                case .decompress: status = inflate(stream, Z_NO_FLUSH)
                }
                stream.pointee.next_out = nil
                return (status, buffer.count - Int(stream.pointee.avail_out))
            }
            if produced > 0 {
                try output.withBytes { (bytes) throws(SedgateError) in
                    try sink(UnsafeRawBufferPointer(rebasing: bytes[..<produced]))
                }
            }
            switch status {
            case Z_STREAM_END:
                return .memberEnded(remaining: Int(stream.pointee.avail_in))
            case Z_BUF_ERROR:
                // No progress was possible: all input is consumed and the output chunk was not filled.
                if produced < Syscall.chunkSize { return .proceeding }
            case Z_OK:
                // Finishing a compression goes on until Z_STREAM_END; otherwise stop once the input is used up.
                if !finish && produced < Syscall.chunkSize && stream.pointee.avail_in == 0 { return .proceeding }
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw SedgateError(
                    .protocolViolation,
                    "the data is not valid gzip (\(detail)); ask the sender for the part again, compressed with gzip")
            }
        }
    }
}
