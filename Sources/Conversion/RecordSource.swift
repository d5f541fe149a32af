// RecordSource: the flat side of reading: one decoded record at a time from an MTF or CFF file.

import SedgateCore

/// One record read from a flat file: its 1-based number, its type, and its logical field values.
struct FlatRecord {
    let number: Int
    let layout: Int
    let values: [String?]
}

/// Yields records one at a time; nil at the end of the file.
protocol RecordSource {
    mutating func next() throws(SedgateError) -> FlatRecord?
    /// Bytes read so far.
    var bytesRead: Int { get }
    /// Where a field is, for messages: "at column 41" (MTF) or "in column 7" (CFF).
    func position(of field: FieldLayout, in record: RecordLayout) -> (column: Int, phrase: String)
}

extension Mapping {
    /// A located error about a field of a record.
    func fieldError(
        file: String, record number: Int, layout: RecordLayout, field: FieldLayout, column: Int, phrase: String,
        _ message: String
    ) -> SedgateError {
        SedgateError(
            .unsupportedInput,
            "in the \(layout.name) record \(phrase), \(message); correct the file (or the mapping \(name)) and send it again",
            location: .init(file: file, column: column, record: number, field: field.name))
    }

    /// A located error about a whole record.
    func recordError(file: String, record number: Int, _ message: String) -> SedgateError {
        SedgateError(
            .unsupportedInput, message + "; correct the file and send it again",
            location: .init(file: file, record: number))
    }
}

/// Fixed-width records in the mapping's code page, optionally separated by LF or CRLF.
struct MTFRecordSource: RecordSource {
    let mapping: Mapping
    let profile: MTFProfile
    let codec: FieldCodec
    let file: String
    var input: ByteSource
    private var number = 0
    private let keys: [[UInt8]: Int]
    /// For a one-byte dispatch key: the layout of each byte value (-1: none), to skip the dictionary.
    private let byteKeys: [Int]

    init(mapping: Mapping, profile: MTFProfile, file: String, input: ByteSource) {
        self.mapping = mapping
        self.profile = profile
        self.file = file
        self.input = input
        codec = FieldCodec(charset: profile.charset, library: mapping.library)
        var keys: [[UInt8]: Int] = [:]
        for (index, record) in mapping.records.enumerated() {
            if case .success(let bytes) = profile.charset.encode(record.key) { keys[bytes] = index }
        }
        self.keys = keys
        var byteKeys = [Int](repeating: -1, count: 256)
        for (bytes, index) in keys where bytes.count == 1 { byteKeys[Int(bytes[0])] = index }
        self.byteKeys = byteKeys
    }

    var bytesRead: Int { input.consumed }

    func position(of field: FieldLayout, in record: RecordLayout) -> (column: Int, phrase: String) {
        (field.offset + 1, "at column \(field.offset + 1)")
    }

    mutating func next() throws(SedgateError) -> FlatRecord? {
        let length = profile.recordLength
        let separator = profile.separatorBytes
        let window = try input.peek(length + separator.count)
        if window.isEmpty { return nil }
        number += 1
        let endsWell =
            separator.isEmpty
            ? window.count >= length
            : window.count == length || (window.count > length && window.dropFirst(length).starts(with: separator))
        if !endsWell {
            if !separator.isEmpty, let end = window.prefix(length).firstRange(of: separator)?.lowerBound {
                throw mapping.recordError(
                    file: file, record: number,
                    "record \(number) is \(end - window.startIndex) bytes long, but every record of this layout is \(length) bytes (a short or truncated line)"
                )
            }
            if window.count < length {
                throw mapping.recordError(
                    file: file, record: number,
                    "the file ends inside record \(number): it has \(window.count) of its \(length) bytes (a truncated or half-written file)"
                )
            }
            throw mapping.recordError(
                file: file, record: number,
                "record \(number) is longer than \(length) bytes: there is no line end after column \(length)")
        }
        // A view of the buffer, not a copy: nothing refills it before this record is decoded.
        let bytes = window.prefix(length)
        input.consume(min(window.count, length + separator.count))
        let keyStart = bytes.startIndex + profile.dispatchOffset
        let keyBytes = bytes[keyStart..<(keyStart + profile.dispatchLength)]
        let quick = profile.dispatchLength == 1 ? byteKeys[Int(keyBytes.first!)] : -1
        guard let layoutIndex = quick >= 0 ? quick : keys[Array(keyBytes)] else {
            let shown: String
            switch profile.charset.decode(keyBytes) {
            case .success(let text): shown = "'\(text.shownInMessage)'"
            case .failure: shown = "X'" + keyBytes.map { String($0, radix: 16, uppercase: true) }.joined() + "'"
            }
            let known = mapping.records.map { "\($0.key) (\($0.name))" }.joined(separator: ", ")
            throw SedgateError(
                .unsupportedInput,
                "record \(number) has the record type \(shown) at column \(profile.dispatchOffset + 1), which the mapping \(mapping.name) does not know (known: \(known)); correct the file or add the record type to the mapping",
                location: .init(file: file, column: profile.dispatchOffset + 1, record: number))
        }
        let layout = mapping.records[layoutIndex]
        var values: [String?] = []
        values.reserveCapacity(layout.fields.count)
        // By index: the field is passed where it lies, not copied (a FieldLayout holds many references).
        for index in layout.fields.indices {
            do {
                let start = bytes.startIndex + layout.fields[index].offset
                values.append(
                    try codec.decode(layout.fields[index], bytes[start..<(start + layout.fields[index].length)]))
            } catch {
                let field = layout.fields[index]
                let column = field.offset + 1 + error.byteInField
                throw mapping.fieldError(
                    file: file, record: number, layout: layout, field: field, column: column,
                    phrase: "at column \(column)", error.message)
            }
        }
        return FlatRecord(number: number, layout: layoutIndex, values: values)
    }
}
