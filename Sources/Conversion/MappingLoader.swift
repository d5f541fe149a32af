// MappingLoader: turns a mapping file (YAML) into a Mapping, collecting every layout and binding error with
// its line, so `sedgate mapping check` can list them all at once.

import ConversionFunctions
import SedgateCore

/// Reads one mapping file. `load()` returns nil when a part could not be built; `errors` lists every problem.
struct MappingLoader {
    let path: String
    let library: FunctionLibrary
    private(set) var errors: [SedgateError] = []

    init(path: String, library: FunctionLibrary) {
        self.path = path
        self.library = library
    }

    /// Invertible function pairs a binding may name with `codec:`.
    static let codecs: [String: String] = [
        "code:iso3166-a2-a3": "code:iso3166-a3-a2",
        "code:iso3166-a3-a2": "code:iso3166-a2-a3",
    ]

    mutating func fail(_ line: Int?, _ message: String) {
        errors.append(SedgateError(.configuration, message, location: .init(file: path, line: line)))
    }

    /// Reports keys of `value` outside `allowed` (typos are the commonest mapping mistake).
    mutating func checkKeys(_ value: YAMLValue, _ allowed: [String], in context: String) {
        for pair in value.pairs ?? [] where !allowed.contains(pair.key) {
            fail(
                pair.keyLine, "\(context) has an unknown key '\(pair.key)'; allowed: \(allowed.joined(separator: ", "))"
            )
        }
    }

    mutating func text(_ value: YAMLValue?, _ what: String, required line: Int? = nil) -> String? {
        guard let value else {
            if let line { fail(line, "\(what) is missing; add it") }
            return nil
        }
        guard let text = value.text else {
            fail(value.line, "\(what) must be a single value, not a list or a mapping")
            return nil
        }
        return text
    }

    mutating func load() -> Mapping? {
        let source: String
        do {
            source = try FileText.read(path)
        } catch {
            errors.append(error)
            return nil
        }
        let root: YAMLValue
        do {
            root = try YAMLValue.parse(source, file: path)
        } catch {
            errors.append(error)
            return nil
        }
        guard root.pairs != nil else {
            fail(root.line, "the mapping must be a YAML mapping with keys mapping, version, flat, sed and bind")
            return nil
        }
        checkKeys(root, ["mapping", "version", "description", "namespaces", "flat", "sed", "bind"], in: "the mapping")
        let name = text(root["mapping"], "the key 'mapping' (the mapping's name)", required: 1) ?? ""
        let version = text(root["version"], "the key 'version'", required: 1) ?? ""
        var namespaces: [(prefix: String, uri: String)] = []
        for pair in root["namespaces"]?.pairs ?? [] {
            if let uri = text(pair.value, "namespace \(pair.key)") { namespaces.append((pair.key, uri)) }
        }
        guard let flat = root["flat"], flat.pairs != nil else {
            fail(root.line, "the key 'flat' (records, structure, mtf, cff) is missing; add it")
            return nil
        }
        checkKeys(flat, ["records", "structure", "mtf", "cff"], in: "flat")
        let records = loadRecords(flat["records"], flatLine: flat.line)
        var recordIndex: [String: Int] = [:]
        for (index, record) in records.enumerated() { recordIndex[record.name] = index }
        checkParents(records, recordIndex)

        let structureText = text(
            flat["structure"], "flat.structure (e.g. \"header detail* trailer\")", required: flat.line)
        var structure: Structure?
        if let structureText {
            do {
                let compiled = try Structure(structureText)
                for name in compiled.names where recordIndex[name] == nil {
                    fail(
                        flat["structure"]?.line,
                        "flat.structure names the record '\(name)', which is not defined under records")
                }
                for record in records where !compiled.names.contains(record.name) {
                    fail(record.line, "the record '\(record.name)' does not appear in flat.structure; add it there")
                }
                structure = compiled
            } catch {
                fail(flat["structure"]?.line, "flat.structure '\(structureText)' is not valid: \(error.message)")
            }
        }
        let mtf = loadMTF(flat["mtf"], records: records)
        checkConstants(records, mtf: mtf)
        var delimiter: UInt8 = UInt8(ascii: ";")
        if let cff = flat["cff"] {
            checkKeys(cff, ["delimiter"], in: "flat.cff")
            if let text = text(cff["delimiter"], "flat.cff.delimiter") {
                if text.utf8.count == 1, let byte = text.utf8.first, byte != UInt8(ascii: "\"") {
                    delimiter = byte
                } else {
                    fail(cff.line, "flat.cff.delimiter must be one ASCII character other than '\"', e.g. ';'")
                }
            }
        }
        let sed = loadSED(root["sed"], records: records, recordIndex: recordIndex, namespaces: namespaces)
        var chain: [String] = []
        var descendants = Set<String>()
        if let sed {
            var current: String? = sed.unit
            while let name = current, let index = recordIndex[name], !chain.contains(name) {
                chain.insert(name, at: 0)
                current = records[index].parent
            }
            for record in records where !chain.contains(record.name) {
                var parent = record.parent
                var seen = Set<String>()
                while let name = parent, seen.insert(name).inserted {
                    if name == sed.unit { descendants.insert(record.name) }
                    parent = recordIndex[name].map { records[$0].parent } ?? nil
                }
            }
        }
        for (field, template) in sed?.envelope ?? [] {
            for case .field(let record, _) in template.parts where recordIndex[record] != nil && !chain.contains(record)
            {
                fail(
                    root["sed"]?.line,
                    "sed.envelope.\(field.xmlName) refers to the record '\(record)', which is not the unit or above it; use fields of \(chain.joined(separator: ", "))"
                )
            }
        }
        let bindings = loadBindings(
            root["bind"], records: records, recordIndex: recordIndex, namespaces: namespaces,
            chain: chain, descendants: descendants)
        checkUnbound(records: records, bindings: bindings, sed: sed, chain: chain, descendants: descendants)

        guard errors.isEmpty, let structure, let sed else { return nil }
        return Mapping(
            name: name, version: version, path: path, namespaces: namespaces, mtf: mtf, cffDelimiter: delimiter,
            records: records, recordIndex: recordIndex, structure: structure, sed: sed, bindings: bindings,
            library: library, chain: chain, descendants: descendants)
    }

    // MARK: - Records and fields

    mutating func loadRecords(_ value: YAMLValue?, flatLine: Int) -> [RecordLayout] {
        guard let pairs = value?.pairs, !pairs.isEmpty else {
            fail(value?.line ?? flatLine, "flat.records is missing or empty; describe at least one record type")
            return []
        }
        var result: [RecordLayout] = []
        var keys: [String: String] = [:]
        for pair in pairs {
            let record = pair.value
            checkKeys(record, ["key", "parent", "fields", "description"], in: "record '\(pair.key)'")
            let key =
                text(record["key"], "record '\(pair.key)': key (the dispatch value)", required: pair.keyLine) ?? ""
            if let other = keys[key] {
                fail(
                    record["key"]?.line,
                    "records '\(other)' and '\(pair.key)' have the same key '\(key)'; keys must differ")
            }
            keys[key] = pair.key
            let parent = text(record["parent"], "record '\(pair.key)': parent")
            var fields: [FieldLayout] = []
            var index: [String: Int] = [:]
            var offset = 0
            guard let fieldPairs = record["fields"]?.pairs else {
                fail(pair.keyLine, "record '\(pair.key)' has no fields; list them in order under fields:")
                continue
            }
            for fieldPair in fieldPairs {
                if index[fieldPair.key] != nil {
                    fail(fieldPair.keyLine, "record '\(pair.key)' has two fields named '\(fieldPair.key)'; rename one")
                }
                if let field = loadField(
                    fieldPair.key, fieldPair.value, record: pair.key, offset: offset, line: fieldPair.keyLine)
                {
                    index[field.name] = fields.count
                    fields.append(field)
                    offset += field.length
                }
            }
            result.append(
                RecordLayout(
                    name: pair.key, key: key, parent: parent, fields: fields, fieldIndex: index, line: pair.keyLine))
        }
        return result
    }

    mutating func loadField(_ name: String, _ value: YAMLValue, record: String, offset: Int, line: Int) -> FieldLayout?
    {
        let context = "field '\(name)' of record '\(record)'"
        checkKeys(
            value,
            [
                "pic", "usage", "sign", "const", "date", "pivot", "nulls", "on-overflow", "align", "derive", "default",
                "ignore", "opaque", "fill", "description",
            ],
            in: context)
        guard let picText = text(value["pic"], "\(context): pic", required: line) else { return nil }
        guard let picture = Picture(picText) else {
            fail(
                value["pic"]?.line,
                "\(context): '\(picText)' is not a PIC this gateway reads; use X(n), 9(n), S9(n)V9(m)")
            return nil
        }
        var usage = Usage.display
        if let usageText = text(value["usage"], "\(context): usage") {
            switch usageText.lowercased() {
            case "display": usage = .display
            case "comp-3", "packed", "packed-decimal": usage = .packed
            default: fail(value["usage"]?.line, "\(context): usage '\(usageText)' is not display or comp-3")
            }
        }
        var sign = SignStyle.trailing
        if let signText = text(value["sign"], "\(context): sign") {
            if let parsed = SignStyle(rawValue: signText.lowercased()) {
                sign = parsed
            } else {
                fail(
                    value["sign"]?.line,
                    "\(context): sign '\(signText)' is not trailing, leading, trailing-separate or leading-separate")
            }
        }
        var isText = false
        var signed = false
        switch picture.kind {
        case .text: isText = true
        case .number(_, _, let s): signed = s
        }
        if isText && usage == .packed {
            fail(value["usage"]?.line, "\(context): a text field (PIC X) cannot be comp-3")
        }
        if value["sign"] != nil && (!signed || usage == .packed) {
            fail(value["sign"]?.line, "\(context): sign applies only to signed display numbers (PIC S9...)")
        }
        let datePattern = text(value["date"], "\(context): date")
        let pivot = text(value["pivot"], "\(context): pivot")
        if datePattern != nil
            && (signed || usage == .packed || picture.digits > 0 && picture.text.uppercased().contains("V"))
        {
            fail(value["date"]?.line, "\(context): a date must be PIC X(n) or 9(n), display")
        } else if let datePattern {
            checkDate(
                datePattern, pivot: pivot, picture: picture, length: picture.byteLength(usage: usage, sign: sign),
                line: value["date"]?.line, pivotLine: value["pivot"]?.line, context: context)
        } else if pivot != nil {
            fail(value["pivot"]?.line, "\(context): pivot applies only to a date with a two-digit year (date: yyMMdd)")
        }
        var nulls: [String] = []
        if let nullValue = value["nulls"] {
            if case .list(let items, _) = nullValue {
                nulls = items.compactMap { $0.text }
            } else if let single = nullValue.text {
                nulls = [single]
            }
        }
        let length = picture.byteLength(usage: usage, sign: sign)
        for null in nulls where null.unicodeScalars.count != length && usage == .display {
            fail(
                value["nulls"]?.line,
                "\(context): the null value '\(null)' is \(null.unicodeScalars.count) characters; the field has \(length)"
            )
        }
        var truncate = false
        if let overflow = text(value["on-overflow"], "\(context): on-overflow") {
            switch overflow {
            case "error": truncate = false
            case "truncate": truncate = true
            default: fail(value["on-overflow"]?.line, "\(context): on-overflow must be error or truncate")
            }
            if !isText {
                fail(
                    value["on-overflow"]?.line,
                    "\(context): on-overflow applies to text only; numbers that do not fit are always an error")
            }
        }
        var alignRight = false
        if let align = text(value["align"], "\(context): align") {
            switch align {
            case "left": alignRight = false
            case "right": alignRight = true
            default: fail(value["align"]?.line, "\(context): align must be left or right")
            }
        }
        var derive: Derivation?
        if let deriveText = text(value["derive"], "\(context): derive") {
            derive = Derivation(deriveText)
            if derive == nil {
                fail(
                    value["derive"]?.line,
                    "\(context): derive '\(deriveText)' is not count(record) or sum(record.field)")
            } else if isText || datePattern != nil {
                fail(value["derive"]?.line, "\(context): a derived field must be numeric (PIC 9 or S9)")
            }
        }
        let constant = text(value["const"], "\(context): const")
        if constant != nil, datePattern != nil {
            fail(
                value["const"]?.line,
                "\(context): const: and date: cannot go together (the constant would be compared with the raw field "
                    + "but written as a date); drop date: to keep a fixed value")
        }
        if let constant, isText, constant.unicodeScalars.count > length {
            fail(value["const"]?.line, "\(context): the constant '\(constant)' is longer than the field (\(length))")
        }
        if let constant, !isText, datePattern == nil, ExactDecimal(constant) == nil {
            fail(value["const"]?.line, "\(context): the constant '\(constant)' is not a number")
        }
        var ignored = name.lowercased().hasPrefix("filler")
        if let ignore = text(value["ignore"], "\(context): ignore") {
            ignored = ignore == "true" || ignore == "yes"
        }
        let defaultValue = text(value["default"], "\(context): default")
        let opaqueFill = loadOpaque(
            value, context: context,
            conflicts: [
                ("const", constant != nil), ("date", datePattern != nil), ("derive", derive != nil),
                ("nulls", !nulls.isEmpty), ("default", defaultValue != nil), ("usage", usage != .display),
            ])
        return FieldLayout(
            name: name, picture: picture, usage: usage, sign: sign, constant: constant, datePattern: datePattern,
            pivot: pivot, nulls: nulls, truncate: truncate, alignRight: alignRight,
            derive: derive, defaultValue: defaultValue, ignored: ignored || opaqueFill != nil,
            opaqueFill: opaqueFill, offset: offset, length: length, line: line)
    }

    /// `opaque: true` and its `fill:`; nil for an ordinary field. An opaque field has no value, so keys that give it
    /// one (`conflicts` that are set) are reported.
    mutating func loadOpaque(_ value: YAMLValue, context: String, conflicts: [(String, Bool)]) -> OpaqueFill? {
        let opaqueText = text(value["opaque"], "\(context): opaque")
        let fillText = text(value["fill"], "\(context): fill")
        let isOpaque: Bool
        switch opaqueText {
        case nil, "false", "no": isOpaque = false
        case "true", "yes": isOpaque = true
        case let other?:
            fail(value["opaque"]?.line, "\(context): opaque must be true or false, not '\(other)'")
            isOpaque = false
        }
        guard isOpaque else {
            if fillText != nil {
                fail(value["fill"]?.line, "\(context): fill applies only to an opaque field; add opaque: true")
            }
            return nil
        }
        for (key, isSet) in conflicts where isSet {
            fail(
                value[key]?.line ?? value["opaque"]?.line,
                "\(context): an opaque field's bytes are neither read nor carried, so it cannot have \(key):; "
                    + "remove one of them (use fill: for what is written)")
        }
        guard let fillText else { return .spaces }
        guard let fill = OpaqueFill(rawValue: fillText.lowercased()) else {
            let known = OpaqueFill.allCases.map(\.rawValue).joined(separator: ", ")
            fail(value["fill"]?.line, "\(context): fill '\(fillText)' is not one of \(known)")
            return .spaces
        }
        return fill
    }

    /// Checks a date field's pattern against its PIC, and its pivot, with the library's own date functions.
    mutating func checkDate(
        _ pattern: String, pivot: String?, picture: Picture, length: Int, line: Int?, pivotLine: Int?, context: String
    ) {
        let sample: String
        do {
            sample = try library.call("dt:format", ["2000-01-01", pattern])
        } catch {
            fail(
                line,
                "\(context): date '\(pattern)' is not a date pattern (yyyy, yy, MM, dd, ddd and literals, e.g. yyyyMMdd)"
            )
            return
        }
        let width = sample.unicodeScalars.count
        if case .number = picture.kind, width != length {
            fail(
                line,
                "\(context): the date pattern '\(pattern)' writes \(width) digits but PIC \(picture) holds \(length); "
                    + "make them agree, or every date would be refused")
        } else if width > length {
            fail(
                line,
                "\(context): the date pattern '\(pattern)' writes \(width) characters but PIC \(picture) holds \(length)"
            )
        }
        do {
            if try library.call("dt:valid", [sample, pattern] + (pivot.map { [$0] } ?? [])) == "false" {
                fail(
                    line,
                    "\(context): the date pattern '\(pattern)' cannot be read back into a date; give it a year and "
                        + "a month and day (yyyyMMdd) or a day of the year (yyyyddd)")
            }
        } catch {
            fail(pivot == nil ? line : pivotLine ?? line, "\(context): \(error.message)")
        }
    }

    mutating func checkParents(_ records: [RecordLayout], _ index: [String: Int]) {
        for record in records {
            guard let parent = record.parent else { continue }
            guard index[parent] != nil else {
                fail(record.line, "record '\(record.name)' names the parent '\(parent)', which is not a record")
                continue
            }
            var seen: Set<String> = [record.name]
            var current: String? = parent
            while let name = current, let position = index[name] {
                if !seen.insert(name).inserted {
                    fail(record.line, "record '\(record.name)' is its own ancestor through parent:; remove the loop")
                    break
                }
                current = records[position].parent
            }
        }
        for record in records {
            for field in record.fields {
                guard let derive = field.derive else { continue }
                guard let target = index[derive.record] else {
                    fail(
                        field.line,
                        "field '\(field.name)' of record '\(record.name)' derives from '\(derive.record)', which is not a record"
                    )
                    continue
                }
                if case .sum(_, let name) = derive {
                    guard let summed = records[target].field(name), summed.isNumber else {
                        fail(
                            field.line,
                            "field '\(field.name)' of record '\(record.name)' sums '\(derive.record).\(name)', which is not a numeric field"
                        )
                        continue
                    }
                }
            }
        }
    }

    /// Every constant and default must fit its field as the file is written (digits, decimals, sign, length,
    /// code page), and a constant where the record type is read must be the record's key: otherwise every record
    /// would be refused, or every file written would be wrong.
    mutating func checkConstants(_ records: [RecordLayout], mtf: MTFProfile?) {
        guard let charset = mtf?.charset ?? (try? Charset("UTF-8")) else { return }
        let codec = FieldCodec(charset: charset, library: library)
        for record in records {
            for field in record.fields where field.opaqueFill == nil && field.datePattern == nil {
                for (key, value) in [("constant", field.constant), ("default", field.defaultValue)] {
                    guard let value else { continue }
                    var bytes: [UInt8] = []
                    do {
                        try codec.encode(field, value, into: &bytes)
                    } catch {
                        fail(
                            field.line,
                            "field '\(field.name)' of record '\(record.name)': the \(key) '\(value)' cannot be written "
                                + "in PIC \(field.picture): \(error.message)")
                    }
                }
                if let mtf, let constant = field.constant, field.offset == mtf.dispatchOffset,
                    field.length == mtf.dispatchLength, constant != record.key
                {
                    fail(
                        field.line,
                        "field '\(field.name)' of record '\(record.name)' has the constant '\(constant)' where the record "
                            + "type is read (flat.mtf.dispatch), but the record's key is '\(record.key)': every "
                            + "\(record.name) record would be refused; make them equal")
                }
            }
        }
    }

    // MARK: - MTF profile

    mutating func loadMTF(_ value: YAMLValue?, records: [RecordLayout]) -> MTFProfile? {
        guard let value else { return nil }
        checkKeys(value, ["charset", "record-length", "separator", "dispatch"], in: "flat.mtf")
        let charsetName = text(value["charset"], "flat.mtf.charset", required: value.line) ?? "ISO-8859-1"
        var charset: Charset?
        do {
            charset = try Charset(charsetName)
        } catch {
            fail(value["charset"]?.line, error.message)
        }
        let lengthText = text(value["record-length"], "flat.mtf.record-length", required: value.line) ?? "0"
        let recordLength = Int(lengthText) ?? 0
        if recordLength <= 0 || recordLength > 32760 {
            fail(
                value["record-length"]?.line,
                "flat.mtf.record-length '\(lengthText)' must be a whole number of bytes, 1-32760")
        }
        var separator = Separator.lf
        if let separatorText = text(value["separator"], "flat.mtf.separator") {
            if let parsed = Separator(rawValue: separatorText.uppercased()) {
                separator = parsed
            } else {
                fail(value["separator"]?.line, "flat.mtf.separator must be LF, CRLF or NONE")
            }
        }
        var dispatchOffset = 0
        var dispatchLength = 1
        if let dispatch = value["dispatch"] {
            checkKeys(dispatch, ["offset", "length"], in: "flat.mtf.dispatch")
            dispatchOffset = Int(text(dispatch["offset"], "flat.mtf.dispatch.offset") ?? "0") ?? -1
            dispatchLength = Int(text(dispatch["length"], "flat.mtf.dispatch.length") ?? "1") ?? -1
            if dispatchOffset < 0 || dispatchLength <= 0 || dispatchOffset + dispatchLength > recordLength {
                fail(dispatch.line, "flat.mtf.dispatch must lie inside the record: offset 0-based, length at least 1")
            }
        }
        for record in records {
            let total = record.fields.reduce(0) { $0 + $1.length }
            if total != recordLength {
                fail(
                    record.line,
                    "the fields of record '\(record.name)' take \(total) bytes, but record-length is \(recordLength); add a filler or correct a PIC"
                )
            }
            if record.key.unicodeScalars.count != dispatchLength {
                fail(
                    record.line,
                    "the key '\(record.key)' of record '\(record.name)' is \(record.key.unicodeScalars.count) characters; the dispatch field is \(dispatchLength)"
                )
            }
        }
        guard let charset else { return nil }
        let separatorBytes = (try? charset.encode(separator.text).get()) ?? []
        return MTFProfile(
            charset: charset, recordLength: recordLength, separator: separator, separatorBytes: separatorBytes,
            dispatchOffset: dispatchOffset, dispatchLength: dispatchLength)
    }
}
