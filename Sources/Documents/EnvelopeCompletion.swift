// EnvelopeCompletion: adds missing envelope fields to a SED by splicing bytes, leaving every other byte untouched.
//
// The national system at the destination expects <Content> byte-identical to what the sender wrote, so the
// access point never re-serialises a SED: it inserts the fields it fills in (sedId, createdAt, sendingAP,
// receivingAP, ...) right after the `<Envelope>` start tag, and re-reads the result to prove it is still valid.

public import SedgateCore

/// Completes the envelope of a SED without touching its content bytes.
public enum EnvelopeCompletion {
    /// A copy of `document` with the `additions` that are absent from its envelope inserted as field elements.
    ///
    /// Fields already written in the document are kept as they are (never overwritten). The new elements go
    /// right after the `<Envelope>` start tag (the schema allows any order), with the prefix the document uses
    /// for `Envelope`; a self-closing `<Envelope/>` becomes a start and an end tag. Every byte outside the
    /// inserted text is unchanged. Throws `.unsupportedInput` if the bytes are not in an ASCII-compatible
    /// encoding (e.g. UTF-16), and the reader's errors if an added value is invalid.
    public static func completing(
        _ document: SEDDocument, with additions: [EnvelopeField: String]
    )
        throws(SedgateError) -> SEDDocument
    {
        let missing = absent(from: document.writtenFields, additions)
        guard !missing.isEmpty else { return document }
        return try splice(document.bytes, source: document.source, fields: missing, additions: additions)
    }

    /// Completes the envelope of raw SED bytes that may not yet pass the reader (e.g. a producer wrote
    /// `<Envelope/>` and a profile supplies every field); otherwise the same as `completing(_:with:)`.
    ///
    /// The bytes are parsed safely first (hostile and malformed input are refused as by `XMLTree.parse`); the
    /// result must pass `SEDReader.read`.
    public static func completing(
        _ bytes: [UInt8], source: String, with additions: [EnvelopeField: String], limits: XMLLimits = .default
    ) throws(SedgateError) -> SEDDocument {
        let tree = try XMLTree.parse(bytes, source: source, limits: limits)
        guard tree.root.localName == "SED", tree.root.namespaceURI == EnvelopeXML.namespace else {
            // Not a SED at all: let the reader say so, in its words.
            return try SEDReader.read(bytes, source: source, limits: limits)
        }
        let missing = absent(from: SEDDocument.writtenFields(in: tree), additions)
        guard !missing.isEmpty else { return try SEDReader.read(bytes, source: source, limits: limits) }
        return try splice(bytes, source: source, fields: missing, additions: additions)
    }

    /// The fields among `additions` not in `written`, in canonical order.
    private static func absent(
        from written: Set<EnvelopeField>, _ additions: [EnvelopeField: String]
    )
        -> [EnvelopeField]
    {
        EnvelopeField.allCases.filter { !written.contains($0) && additions[$0] != nil }
    }

    /// `completing(_:with:)` without parsing the result again: the bytes with `additions` inserted the same way,
    /// and the envelope made from the document's fields and `additions` by the reader's own rules
    /// (`Envelope(fields:)`). For the values the access point gives itself at intake (a SED id, a timestamp, its own
    /// id, a sequence number): a second parse of every SED would cost more than all its other checks. Falls back to
    /// `completing` when a field to add is written in the document already (an empty element).
    public static func splicing(
        _ document: SEDDocument, with additions: [EnvelopeField: String]
    ) throws(SedgateError) -> (bytes: [UInt8], envelope: Envelope) {
        guard !additions.isEmpty else { return (document.bytes, document.envelope) }
        let written = document.writtenFields
        guard additions.keys.allSatisfy({ !written.contains($0) }) else {
            let completed = try completing(document, with: additions)
            return (completed.bytes, completed.envelope)
        }
        var fields: [EnvelopeField: String] = [:]
        for field in written { fields[field] = document.envelope[field] }
        fields.merge(additions) { _, added in added }
        let envelope: Envelope
        do {
            envelope = try Envelope(fields: fields)
        } catch {
            var located = error
            located.location = .init(file: document.source, field: error.location?.field)
            throw located
        }
        let missing = absent(from: written, additions)
        return (
            try spliceBytes(document.bytes, source: document.source, fields: missing, additions: additions), envelope
        )
    }

    /// Inserts `fields` (values from `additions`) after the envelope start tag and re-reads the result.
    private static func splice(
        _ bytes: [UInt8], source: String, fields missing: [EnvelopeField], additions: [EnvelopeField: String]
    ) throws(SedgateError) -> SEDDocument {
        let result = try spliceBytes(bytes, source: source, fields: missing, additions: additions)
        let completed = try SEDReader.read(result, source: source)
        for field in missing where completed.envelope[field] == nil {
            throw SedgateError(
                .invalidEnvelope,
                "the envelope field \(field.xmlName) was added but does not read back; report this as a bug",
                location: .init(file: source, field: "Envelope/\(field.xmlName)"))
        }
        return completed
    }

    /// `bytes` with `fields` (values from `additions`) inserted after the envelope start tag.
    private static func spliceBytes(
        _ bytes: [UInt8], source: String, fields missing: [EnvelopeField], additions: [EnvelopeField: String]
    ) throws(SedgateError) -> [UInt8] {
        if let first = bytes.first, first == 0x00 || first == 0xFE || first == 0xFF || bytes.dropFirst().first == 0 {
            throw SedgateError(
                .unsupportedInput,
                "the SED is in a UTF-16 or UCS-4 encoding; sedgate completes envelopes only in UTF-8 or another "
                    + "ASCII-compatible encoding. Write the file in UTF-8",
                location: .init(file: source))
        }
        let addsNonASCII = missing.contains { additions[$0]!.utf8.contains { $0 >= 0x80 } }
        if addsNonASCII, let encoding = declaredEncoding(bytes), !["utf-8", "utf8"].contains(encoding.lowercased()) {
            throw SedgateError(
                .unsupportedInput,
                "the SED is declared as \(encoding) and the envelope values to add are not ASCII; "
                    + "write the file in UTF-8 or give the fields yourself",
                location: .init(file: source))
        }
        guard let tag = EnvelopeStartTag.find(in: bytes) else {
            throw SedgateError(
                .unsupportedInput,
                "cannot find the <Envelope> start tag as the first child of <SED> in the raw bytes; "
                    + "write <Envelope> directly inside <SED> (comments and white space may come between)",
                location: .init(file: source))
        }
        let qualifier = tag.prefix.map { $0 + ":" } ?? ""
        var inserted = ""
        for field in missing {
            let name = qualifier + field.xmlName
            inserted += "<\(name)>\(additions[field]!.xmlEscaped)</\(name)>"
        }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + inserted.utf8.count + tag.qualifiedName.utf8.count + 4)
        if tag.selfClosing {
            // `<Envelope/>` → `<Envelope>…</Envelope>`: the `/` goes; it cannot hold children otherwise.
            result.append(contentsOf: bytes[..<(tag.end - 1)])
            result.append(contentsOf: Array((">" + inserted + "</" + tag.qualifiedName + ">").utf8))
        } else {
            result.append(contentsOf: bytes[...tag.end])
            result.append(contentsOf: Array(inserted.utf8))
        }
        result.append(contentsOf: bytes[(tag.end + 1)...])
        return result
    }

    /// The encoding named in the XML declaration, if there is a declaration that names one.
    static func declaredEncoding(_ bytes: [UInt8]) -> String? {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard bytes[start...].starts(with: Array("<?xml".utf8)) else { return nil }
        let limit = min(bytes.count, start + 200)
        guard let close = bytes[start..<limit].firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let declaration = Array(bytes[start..<close])
        let keyword = Array("encoding".utf8)
        guard
            let at = (0...max(0, declaration.count - keyword.count)).first(where: {
                declaration[$0...].starts(with: keyword)
            })
        else { return nil }
        let text = String(decoding: declaration[(at + keyword.count)...], as: UTF8.self)
        let rest = text.drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != quote })
    }
}

extension SEDDocument {
    /// This document with the absent envelope fields among `additions` spliced in (see `EnvelopeCompletion`).
    public func completing(with additions: [EnvelopeField: String]) throws(SedgateError) -> SEDDocument {
        try EnvelopeCompletion.completing(self, with: additions)
    }
}
