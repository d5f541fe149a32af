// FlatReader: flat file → SED XML, streaming. Reads one record at a time, checks the structure (nesting,
// order), the trailer counts and control totals, binds each SED unit with its parents and children to XML, and
// hands each finished SED document to a callback. Memory holds one SED's records, never the file.
//
// A throw means the whole file is bad (a wrong control total is only known at the end): a caller that already
// wrote some SEDs must discard them.

import ConversionFunctions
import Documents
import Glibc
public import SedgateCore

/// One SED produced from a flat file.
public struct ConvertedSED: Sendable {
    /// The complete document, UTF-8: `<SED xmlns="urn:eessi:sedgate:sed:1"><Envelope>…</Envelope><Content>…`.
    public let bytes: [UInt8]
    /// Its envelope, already checked.
    public let envelope: Envelope
    /// The flat records it was built from (1-based, inclusive), for reports.
    public let records: ClosedRange<Int>
}

/// What a conversion did.
public struct ConversionSummary: Sendable, Hashable {
    /// Flat records read or written.
    public var records: Int = 0
    /// SED documents produced or consumed.
    public var seds: Int = 0
    /// Bytes read from the input.
    public var bytesRead: Int = 0
    /// Bytes written to the output (flat writing only).
    public var bytesWritten: Int = 0

    /// Makes an empty summary.
    public init() {}
}

/// Converts a flat file (MTF or CFF profile) into SED documents.
public struct FlatReader: Sendable {
    /// The mapping that describes the file.
    public let mapping: Mapping
    /// Which flat format the input is in.
    public let profile: FlatProfile
    /// The name of the input in messages (`outbound/ae.mtf`).
    public let sourceName: String

    /// Makes a reader; `source` names the input in every error message.
    public init(mapping: Mapping, profile: FlatProfile, source: String) {
        self.mapping = mapping
        self.profile = profile
        self.sourceName = source
    }

    /// Reads the file at `path`, calling `each` for every SED in file order.
    public func read(
        path: String, each: (ConvertedSED) throws(SedgateError) -> Void
    ) throws(SedgateError) -> ConversionSummary {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SedgateError(
                .io, "cannot open the flat file: \(String(cString: strerror(errno)))", location: .init(file: sourceName)
            )
        }
        defer { close(fd) }
        return try read(fileDescriptor: fd, each: each)
    }

    /// Reads from an open descriptor (left open), calling `each` for every SED in file order.
    public func read(
        fileDescriptor: Int32, each: (ConvertedSED) throws(SedgateError) -> Void
    ) throws(SedgateError) -> ConversionSummary {
        try run(ByteSource(fd: fileDescriptor, name: sourceName), each: each)
    }

    /// Reads bytes in memory, calling `each` for every SED in file order.
    public func read(
        bytes: [UInt8], each: (ConvertedSED) throws(SedgateError) -> Void
    ) throws(SedgateError) -> ConversionSummary {
        try run(ByteSource(bytes: bytes, name: sourceName), each: each)
    }

    private func run(
        _ input: ByteSource, each: (ConvertedSED) throws(SedgateError) -> Void
    ) throws(SedgateError) -> ConversionSummary {
        switch profile {
        case .mtf:
            guard let mtf = mapping.mtf else {
                throw SedgateError(
                    .configuration,
                    "the mapping \(mapping.name) has no flat.mtf profile; add one or read the file as CFF",
                    location: .init(file: mapping.path))
            }
            var source = MTFRecordSource(mapping: mapping, profile: mtf, file: sourceName, input: input)
            return try assemble(&source, each: each)
        case .cff:
            var source = CFFRecordSource(mapping: mapping, file: sourceName, input: input)
            return try assemble(&source, each: each)
        }
    }

    /// What `assemble` works out once per file: record relations by layout index, names interned, each binding's
    /// path compiled, and a cache of code-list look-ups (pure functions of their value).
    private struct Plan {
        let isDescendant: [Bool]
        let isInChain: [Bool]
        let isUnit: [Bool]
        /// `closes[a][b]`: a record of layout `a` closes the open record of layout `b` (same type, or nested below).
        let closes: [[Bool]]
        /// The chain's layouts, root first.
        let chain: [Int]
        var names = ContentNames()
        let root: Int
        /// One binding, compiled: where its value comes from, the function it goes through, where it goes.
        struct Compiled {
            let constant: String?
            let read: FunctionCall?
            /// Whether `read` is a `code:` look-up, whose results are cached.
            let pure: Bool
            let path: CompiledPath
            let field: Int?
        }
        /// Each layout's bindings, compiled (in the order of `mapping.bindings[layout].entries`).
        var bindings: [[Compiled]] = []
        /// Each layout's repeat path (children of the unit), compiled.
        var repeats: [[Int]?] = []
        let declarations: [UInt8]
        /// The envelope's templates with field references resolved to (layout, field index).
        let envelope: [(field: EnvelopeField, parts: [(literal: String?, layout: Int, field: Int)])]
        /// Results of `code:` functions by binding (layout, entry) and value.
        var cache: [[[String: String]]] = []
        /// Each layout's name as an index in `mapping.structure.names` (-1: not in the structure).
        let structureIDs: [Int]
        /// Each layout's parent layout, if it has one.
        let parents: [Int?]
        /// The previous SED's envelope, its field texts (in `envelope`'s order) and its XML, to make the next from.
        var previous: (texts: [String], envelope: Envelope, lines: EnvelopeLines)?

        init(_ mapping: Mapping) {
            let names = mapping.records.map(\.name)
            isDescendant = names.map { mapping.descendants.contains($0) }
            isInChain = names.map { mapping.isInChain($0) }
            isUnit = names.map { $0 == mapping.sed.unit }
            closes = names.map { name in names.map { key in key == name || mapping.isBelow(key, name) } }
            chain = mapping.chain.compactMap { mapping.recordIndex[$0] }
            structureIDs = names.map { mapping.structure.id(of: $0) ?? -1 }
            parents = mapping.records.map { $0.parent.flatMap { mapping.recordIndex[$0] } }
            var table = ContentNames()
            root = table.id(mapping.sed.contentRoot)
            for layout in mapping.records {
                var compiled: [Compiled] = []
                let binding = mapping.bindings[layout.name]
                for entry in binding?.entries ?? [] {
                    let path = CompiledPath(
                        steps: entry.path.steps.map { table.id($0) },
                        attribute: entry.path.attribute.map { table.id($0) })
                    compiled.append(
                        Compiled(
                            constant: entry.constant, read: entry.read,
                            pure: entry.read?.name.hasPrefix("code:") ?? false, path: path,
                            field: entry.field.flatMap { layout.fieldIndex[$0] }))
                }
                bindings.append(compiled)
                repeats.append(binding?.repeatPath.map { $0.steps.map { table.id($0) } })
                cache.append(Array(repeating: [:], count: compiled.count))
            }
            self.names = table
            var declarations = ""
            for (prefix, uri) in mapping.namespaces { declarations += " xmlns:\(prefix)=\"\(uri.xmlEscaped)\"" }
            if mapping.sed.contentRoot.prefix == nil { declarations += " xmlns=\"\"" }
            self.declarations = Array(declarations.utf8)
            envelope = mapping.sed.envelope.map { field, template in
                (
                    field,
                    template.parts.map { part in
                        switch part {
                        case .literal(let literal): return (literal, -1, -1)
                        case .field(let record, let name):
                            guard let layout = mapping.recordIndex[record],
                                let index = mapping.records[layout].fieldIndex[name]
                            else { return (nil, -1, -1) }
                            return (nil, layout, index)
                        }
                    }
                )
            }
        }
    }

    private func assemble(
        _ source: inout some RecordSource, each: (ConvertedSED) throws(SedgateError) -> Void
    ) throws(SedgateError) -> ConversionSummary {
        var summary = ConversionSummary()
        var cursor = mapping.structure.begin
        var derivations = Derivations(mapping: mapping)
        var plan = Plan(mapping)
        var open: [(number: Int, values: [String?])?] = Array(repeating: nil, count: mapping.records.count)
        var pending: PendingSED?
        var lastName = ""
        var lastNumber = 0
        var tree = ContentTree(root: plan.root)

        func flush() throws(SedgateError) {
            guard let unit = pending else { return }
            pending = nil
            let sed = try build(unit, open: open, plan: &plan, tree: &tree)
            summary.seds += 1
            try each(sed)
        }

        while let record = try source.next() {
            summary.records += 1
            let layout = mapping.records[record.layout]
            let name = layout.name
            if let parent = layout.parent, open[plan.parents[record.layout] ?? 0] == nil {
                throw mapping.recordError(
                    file: sourceName, record: record.number,
                    "record \(record.number) is a \(name) record, but no \(parent) record comes before it; a \(name) belongs under a \(parent)"
                )
            }
            let structureID = plan.structureIDs[record.layout]
            guard structureID >= 0, mapping.structure.advance(&cursor, over: structureID) else {
                let expected = mapping.structure.expected(cursor)
                throw mapping.recordError(
                    file: sourceName, record: record.number,
                    "record \(record.number) is a \(name) record, which cannot come here (after record \(lastNumber), a \(lastName.isEmpty ? "start of file" : lastName)); the layout \(mapping.structure.text) expects \(expected.isEmpty ? "the end of the file" : expected.joined(separator: " or "))"
                )
            }
            derivations.begin(record.layout)
            for (index, expected) in derivations.values(for: record.layout) {
                let field = layout.fields[index]
                let found = record.values[index].flatMap { ExactDecimal($0) }
                guard found == expected else {
                    let position = source.position(of: field, in: layout)
                    throw mapping.fieldError(
                        file: sourceName, record: record.number, layout: layout, field: field, column: position.column,
                        phrase: position.phrase,
                        "the trailer says \(record.values[index] ?? "nothing") but \(field.derive!) over the records read is \(expected) (records are missing or altered; the whole file is refused)"
                    )
                }
            }
            do {
                try derivations.count(record.layout, values: record.values)
            } catch {
                throw mapping.recordError(file: sourceName, record: record.number, error.message)
            }
            // A record outside the unit's subtree ends the pending SED; then it closes its own groups.
            if !plan.isDescendant[record.layout] { try flush() }
            for key in open.indices where open[key] != nil && plan.closes[record.layout][key] { open[key] = nil }
            open[record.layout] = (record.number, record.values)
            if plan.isInChain[record.layout] {
                if plan.isUnit[record.layout] { pending = PendingSED(first: record.number, last: record.number) }
            } else if plan.isDescendant[record.layout] {
                pending?.children.append((record.layout, record.number, record.values))
                pending?.last = record.number
            }
            lastName = name
            lastNumber = record.number
        }
        summary.bytesRead = source.bytesRead
        guard mapping.structure.canEnd(cursor) else {
            let expected = mapping.structure.expected(cursor).joined(separator: " or ")
            throw SedgateError(
                .unsupportedInput,
                (lastNumber == 0
                    ? "the file is empty"
                    : "the file ends after record \(lastNumber) (a \(lastName))")
                    + ", but the layout \(mapping.structure.text) expects a \(expected) record next (a missing trailer means a truncated file); the whole file is refused",
                location: .init(file: sourceName, record: lastNumber + 1))
        }
        try flush()
        return summary
    }

    /// The records of one SED waiting for its end.
    private struct PendingSED {
        let first: Int
        var last: Int
        var children: [(layout: Int, number: Int, values: [String?])] = []
    }

    private func build(
        _ unit: PendingSED, open: [(number: Int, values: [String?])?], plan: inout Plan, tree: inout ContentTree
    ) throws(SedgateError)
        -> ConvertedSED
    {
        tree.reset(root: plan.root)
        for layout in plan.chain {
            guard let instance = open[layout] else { continue }
            try bind(layout, values: instance.values, number: instance.number, base: 0, plan: &plan, tree: &tree)
        }
        for child in unit.children {
            guard let steps = plan.repeats[child.layout] else { continue }
            let base = tree.element(under: 0, steps: steps, fresh: true)
            try bind(child.layout, values: child.values, number: child.number, base: base, plan: &plan, tree: &tree)
        }
        var texts: [String] = []
        texts.reserveCapacity(plan.envelope.count)
        for (_, parts) in plan.envelope {
            var text = ""
            for part in parts {
                if let literal = part.literal {
                    text += literal
                } else if part.layout >= 0 {
                    text += open[part.layout]?.values[part.field] ?? ""
                }
            }
            texts.append(text)
        }
        let envelope: Envelope
        var lines: EnvelopeLines
        do {
            if let previous = plan.previous, let next = Self.envelope(previous, changedTo: texts, plan.envelope) {
                envelope = next
                lines = previous.lines
                for index in texts.indices where texts[index] != previous.texts[index] {
                    lines.update(plan.envelope[index].field, from: envelope)
                }
            } else {
                var fields: [EnvelopeField: String] = [:]
                for (index, entry) in plan.envelope.enumerated() { fields[entry.field] = texts[index] }
                envelope = try Envelope(fields: fields)
                lines = EnvelopeLines(envelope)
            }
            plan.previous = (texts, envelope, lines)
        } catch {
            throw SedgateError(
                .invalidEnvelope,
                "the SED made from records \(unit.first)-\(unit.last) has a bad envelope: \(error.message); correct the fields the mapping's sed.envelope uses",
                location: .init(file: sourceName, record: unit.first, field: error.location?.field))
        }
        return ConvertedSED(
            bytes: tree.document(envelope: lines, declarations: plan.declarations, names: plan.names),
            envelope: envelope, records: unit.first...unit.last)
    }

    /// The previous SED's envelope with the fields that changed set, when each of those is a text field whose only
    /// checks (present if required, at most its length) pass: the envelope `Envelope(fields:)` would make, without
    /// re-checking the addresses and codes that did not change. Nil when the full check must decide.
    private static func envelope(
        _ previous: (texts: [String], envelope: Envelope, lines: EnvelopeLines), changedTo texts: [String],
        _ fields: [(field: EnvelopeField, parts: [(literal: String?, layout: Int, field: Int)])]
    ) -> Envelope? {
        var envelope = previous.envelope
        for index in texts.indices where texts[index] != previous.texts[index] {
            let field = fields[index].field
            let value = texts[index]
            // UTF-8 bytes are at least as many as characters: within the limit in bytes is within it in characters.
            guard value.utf8.count <= field.maxLength else { return nil }
            let optional = value.isEmpty ? nil : value
            switch field {
            case .sedType, .sedVersion, .bucType, .caseId:
                guard let value = optional else { return nil }
                switch field {
                case .sedType: envelope.sedType = value
                case .sedVersion: envelope.sedVersion = value
                case .bucType: envelope.bucType = value
                default: envelope.caseId = value
                }
            case .sender, .receiver:
                // An address parses alone; the full check explains one that does not.
                guard let address = Address(value) else { return nil }
                if field == .sender { envelope.sender = address } else { envelope.receiver = address }
            case .senderFileNo: envelope.senderFileNo = optional
            case .receiverFileNo: envelope.receiverFileNo = optional
            case .createdAt: envelope.createdAt = optional
            case .language: envelope.language = optional
            case .dueDate: envelope.dueDate = optional
            case .contentType: envelope.contentType = optional
            default: return nil
            }
        }
        return envelope
    }

    private func bind(
        _ layoutIndex: Int, values: [String?], number: Int, base: Int, plan: inout Plan, tree: inout ContentTree
    ) throws(SedgateError) {
        for position in plan.bindings[layoutIndex].indices {
            let compiled = plan.bindings[layoutIndex][position]
            var value: String
            if let constant = compiled.constant {
                value = constant
            } else if let index = compiled.field, let found = values[index] {
                value = found
            } else {
                continue
            }
            if let read = compiled.read {
                let pure = compiled.pure
                if pure, let known = plan.cache[layoutIndex][position][value] {
                    value = known
                } else {
                    do {
                        let result = try mapping.library.call(read.name, read.arguments(for: value))
                        // Code lists are small; a cap keeps memory bounded whatever the values.
                        if pure && plan.cache[layoutIndex][position].count < 4096 {
                            plan.cache[layoutIndex][position][value] = result
                        }
                        value = result
                    } catch {
                        let layout = mapping.records[layoutIndex]
                        let entry = mapping.bindings[layout.name]!.entries[position]
                        let field = entry.field.flatMap { layout.field($0) }
                        throw SedgateError(
                            .unsupportedInput,
                            "in the \(layout.name) record, \(read) cannot convert '\(value.shownInMessage)' for \(entry.path): \(error.message)",
                            location: .init(file: sourceName, record: number, field: field?.name ?? entry.path.text))
                    }
                }
            }
            tree.set(compiled.path, under: base, to: value)
        }
    }
}

extension Mapping {
    /// Whether record type `name` is nested (through parent:) somewhere below `ancestor`.
    func isBelow(_ name: String, _ ancestor: String) -> Bool {
        var current = record(name)?.parent
        var steps = 0
        while let parent = current, steps < records.count {
            if parent == ancestor { return true }
            current = record(parent)?.parent
            steps += 1
        }
        return false
    }
}
