// Charset: a file's code page (Latin-1, UTF-8, EBCDIC IBM037/273/500/1047, ...) as byte ⇄ character tables
// built once from Glibc's iconv, so sedgate carries no hand-written code-page tables.

import Glibc
import SedgateCore

/// A code page for MTF text: UTF-8, or any single-byte charset iconv knows (its table is asked of iconv
/// byte by byte at load time, so decoding a record costs a table look-up per byte).
struct Charset: Sendable {
    /// The name as written in the mapping (`IBM037`).
    let name: String
    /// Whether this is UTF-8 (variable width; fields are measured in bytes).
    let isUTF8: Bool
    /// Whether digits are 0xF0-0xF9 (EBCDIC): zoned signs are then read from the zone nibble.
    let isEBCDIC: Bool
    /// For single-byte charsets: the character of each byte, nil where the charset has none.
    let decodeTable: [Unicode.Scalar?]
    /// For single-byte charsets: the byte of each character the charset has.
    let encodeTable: [Unicode.Scalar: UInt8]
    /// For single-byte charsets: the UTF-8 bytes of each byte's character, 4 slots a byte (unused slots zero).
    let utf8Table: [UInt8]
    /// For each byte: its UTF-8 length (1-3) when it is a character XML can carry, 0 when it is not a character
    /// here or a control character XML refuses (those take the slow, explaining path).
    let utf8Length: [UInt8]
    /// For single-byte charsets: the byte of each ASCII character (0-127), or nil (the writer's fast path).
    let asciiEncodeTable: [UInt8?]

    /// Loads `name` through iconv; throws `.configuration` for an unknown or multi-byte charset.
    init(_ name: String) throws(SedgateError) {
        self.name = name
        let upper = name.uppercased()
        if upper == "UTF-8" || upper == "UTF8" {
            isUTF8 = true
            isEBCDIC = false
            decodeTable = (0..<128).map { Unicode.Scalar(UInt8($0)) } + Array(repeating: nil, count: 128)
            encodeTable = [:]
            (utf8Table, utf8Length) = Self.utf8Tables(decodeTable)
            asciiEncodeTable = (0..<128).map { UInt8($0) }
            return
        }
        isUTF8 = false
        guard let converter = Iconv(from: name, to: "UTF-32LE") else {
            throw SedgateError(
                .configuration,
                "the charset '\(name)' is not known to this system's iconv; use ISO-8859-1, UTF-8, IBM037, IBM273, "
                    + "IBM500, IBM1047 or another name `iconv -l` lists")
        }
        var decode: [Unicode.Scalar?] = []
        var encode: [Unicode.Scalar: UInt8] = [:]
        for byte in 0...255 {
            let scalar = converter.convertSingleByte(UInt8(byte))
            decode.append(scalar)
            if let scalar, encode[scalar] == nil { encode[scalar] = UInt8(byte) }
        }
        guard decode.compactMap({ $0 }).count >= 200 else {
            throw SedgateError(
                .configuration, "the charset '\(name)' is not a single-byte code page; use UTF-8 or a single-byte one")
        }
        decodeTable = decode
        encodeTable = encode
        (utf8Table, utf8Length) = Self.utf8Tables(decode)
        asciiEncodeTable = (0..<128).map { encode[Unicode.Scalar(UInt8($0))] }
        isEBCDIC = decode[0xF0] == "0" && decode[0xF9] == "9"
    }

    /// Whether XML 1.0 can carry `scalar` as text (no C0/C1 controls other than tab, CR, LF; no U+FFFE/U+FFFF).
    static func isXMLText(_ value: UInt32) -> Bool {
        !((value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || (0x7F...0x9F).contains(value)
            || value == 0xFFFE || value == 0xFFFF)
    }

    /// The UTF-8 bytes of each byte's character and their lengths (0 for no character or one XML refuses).
    private static func utf8Tables(_ decode: [Unicode.Scalar?]) -> ([UInt8], [UInt8]) {
        var table = [UInt8](repeating: 0, count: 256 * 4)
        var lengths = [UInt8](repeating: 0, count: 256)
        for (byte, scalar) in decode.enumerated() {
            guard let scalar, isXMLText(scalar.value) else { continue }
            let encoded = Array(String(scalar).utf8)
            for (index, value) in encoded.enumerated() { table[byte * 4 + index] = value }
            lengths[byte] = UInt8(encoded.count)
        }
        return (table, lengths)
    }

    /// The text of `bytes` with the spaces trimmed on the right (or on the left with `trimmingLeft`), when every byte is
    /// a character XML can carry; nil otherwise (the caller then takes the explaining path). The same text as
    /// `decode` followed by trimming, without the per-character work.
    func quickText(_ bytes: ArraySlice<UInt8>, trimmingLeft: Bool) -> String? {
        var start = bytes.startIndex
        var end = bytes.endIndex
        func isSpace(_ byte: UInt8) -> Bool { utf8Length[Int(byte)] == 1 && utf8Table[Int(byte) * 4] == 0x20 }
        if trimmingLeft {
            while start < end && isSpace(bytes[start]) { start += 1 }
        } else {
            while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        }
        if start == end {
            // Blank, or spaces only: the slow path decides (it checks every byte, trimmed or not).
            for byte in bytes where utf8Length[Int(byte)] == 0 { return nil }
            return ""
        }
        for byte in bytes[bytes.startIndex..<start] where utf8Length[Int(byte)] == 0 { return nil }
        for byte in bytes[end..<bytes.endIndex] where utf8Length[Int(byte)] == 0 { return nil }
        if isUTF8 {
            for byte in bytes[start..<end] where byte >= 0x80 || utf8Length[Int(byte)] == 0 { return nil }
            return bytes.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress! - bytes.startIndex
                return String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
            }
        }
        var length = 0
        for byte in bytes[start..<end] {
            let count = utf8Length[Int(byte)]
            if count == 0 { return nil }
            length += Int(count)
        }
        return utf8Table.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: length) { output in
                var written = 0
                for byte in bytes[start..<end] {
                    let slot = Int(byte) * 4
                    let count = Int(utf8Length[Int(byte)])
                    for index in 0..<count { output[written + index] = table[slot + index] }
                    written += count
                }
                return written
            }
        }
    }

    /// Decodes bytes to text; nil with the 0-based index of the first byte that is not a character here.
    func decode(_ bytes: ArraySlice<UInt8>) -> Result<String, DecodeFailure> {
        if isUTF8 {
            var iterator = bytes.makeIterator()
            var utf8 = UTF8()
            var text = String.UnicodeScalarView()
            var consumed = 0
            while true {
                switch utf8.decode(&iterator) {
                case .scalarValue(let scalar):
                    text.append(scalar)
                    consumed += String(scalar).utf8.count
                case .emptyInput:
                    return .success(String(text))
                case .error:
                    return .failure(DecodeFailure(index: consumed))
                }
            }
        }
        var text = String.UnicodeScalarView()
        for (index, byte) in bytes.enumerated() {
            guard let scalar = decodeTable[Int(byte)] else { return .failure(DecodeFailure(index: index)) }
            text.append(scalar)
        }
        return .success(String(text))
    }

    /// Encodes text; nil with the first character the charset cannot hold.
    func encode(_ text: String) -> Result<[UInt8], EncodeFailure> {
        if isUTF8 { return .success(Array(text.utf8)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = encodeTable[scalar] else { return .failure(EncodeFailure(scalar: scalar)) }
            bytes.append(byte)
        }
        return .success(bytes)
    }

    /// The byte of an ASCII character in this charset (digits, signs, space).
    func byte(_ character: Unicode.Scalar) -> UInt8 {
        isUTF8 ? UInt8(character.value) : encodeTable[character] ?? 0x3F
    }
}

/// Where decoding stopped: the 0-based index of the offending byte in the field.
struct DecodeFailure: Error {
    let index: Int
}

/// The character an encoding could not write.
struct EncodeFailure: Error {
    let scalar: Unicode.Scalar
}

/// A Glibc iconv converter, used only while building a Charset's tables.
private final class Iconv {
    let handle: iconv_t

    init?(from: String, to: String) {
        let handle = iconv_open(to, from)
        // iconv_open returns (iconv_t)-1 on failure.
        guard let handle, Int(bitPattern: handle) != -1 else { return nil }
        self.handle = handle
    }

    deinit { iconv_close(handle) }

    /// The character one byte stands for, or nil when the charset gives it none (or it needs more bytes).
    func convertSingleByte(_ byte: UInt8) -> Unicode.Scalar? {
        // Reset the shift state so each byte is converted on its own.
        iconv(handle, nil, nil, nil, nil)
        var input: [CChar] = [CChar(bitPattern: byte)]
        var output = [UInt8](repeating: 0, count: 8)
        let written: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var inLeft = 1
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress!)
                    .assumingMemoryBound(to: CChar.self)
                var outLeft = 8
                let result = iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft)
                if result == -1 || inLeft != 0 { return -1 }
                return 8 - outLeft
            }
        }
        guard written == 4 else { return nil }
        let value = UInt32(output[0]) | UInt32(output[1]) << 8 | UInt32(output[2]) << 16 | UInt32(output[3]) << 24
        return Unicode.Scalar(value)
    }
}
