// Inflater: streaming gzip decompression with a ceiling on the output, fed one chunk at a time.
// Used by Gzip for memory and for files; counts what it produced and refuses to go over the limit.

import SedgateCore

/// Decompresses gzip fed in pieces, across concatenated members, refusing output over `limit` bytes.
final class Inflater {
    private let limit: Int64
    private let source: String
    private let stream: ZStream
    private var produced: Int64 = 0
    private var consumed: Int64 = 0
    private var inMember = false

    /// Starts decompressing; `source` names the input in error messages.
    init(limit: Int64, source: String) throws(SedgateError) {
        self.limit = limit
        self.source = source
        stream = try ZStream(.decompress)
    }

    /// Decompresses with `stream`, a decompressor at the start of a gzip member (new, or reset after one ended).
    init(limit: Int64, source: String, stream: ZStream) {
        self.limit = limit
        self.source = source
        self.stream = stream
    }

    /// Decompresses `input`, handing each output chunk to `sink`. `.hostileInput` once over the limit.
    func feed(
        _ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws(SedgateError) -> Void
    ) throws(SedgateError) {
        var rest = input
        while !rest.isEmpty {
            inMember = true
            let step = try stream.process(rest, finish: false) { (chunk) throws(SedgateError) in
                produced += Int64(chunk.count)
                guard produced <= limit else {
                    throw SedgateError(
                        .hostileInput,
                        "\(source) decompresses to more than \(limit) bytes, the most accepted here; it was refused "
                            + "as a possible decompression bomb. Send large payloads as fragments",
                        location: .init(file: source))
                }
                try sink(chunk)
            }
            switch step {
            case .proceeding:
                consumed += Int64(rest.count)
                rest = UnsafeRawBufferPointer(rebasing: rest[rest.endIndex...])
            case .memberEnded(let remaining):
                consumed += Int64(rest.count - remaining)
                rest = UnsafeRawBufferPointer(rebasing: rest[(rest.count - remaining)...])
                inMember = false
                stream.resetForNextMember()
            }
        }
    }

    /// Checks that the input ended at the end of a gzip member; `.protocolViolation` when it was cut short.
    func finish() throws(SedgateError) {
        guard consumed > 0 else {
            throw SedgateError(
                .protocolViolation, "\(source) is empty; gzip data was expected", location: .init(file: source))
        }
        guard !inMember else {
            throw SedgateError(
                .protocolViolation,
                "\(source) ends in the middle of a gzip stream (after \(consumed) bytes); it was truncated in "
                    + "transit. Ask the sender for it again",
                location: .init(file: source))
        }
    }
}
