// FlatWriter: SED XML → flat file, streaming. Takes SED documents in order, rebuilds the parent records (a new
// header whenever the header data of a SED differs from the previous SED's), the unit record and its child
// records, computes counts and control totals into the trailers, and writes MTF or CFF bytes incrementally.
// Writing to a path goes through `DurableFile` (temporary file, fsync, rename), so no reader ever sees half a file.

import ConversionFunctions
import Documents
public import SedgateCore

/// How the flat writer reads a SED's XML.
package enum SEDReading: Sendable {
    /// libxml2's SAX2 stream, values taken as they pass (`SEDStreamReader`): no tree.
    case streaming
    /// A libxml2 tree (`XMLTree`), walked afterwards.
    case tree
}

/// Converts SED documents into one flat file (MTF or CFF profile).
public struct FlatWriter: Sendable {
    /// The mapping that describes the file.
    public let mapping: Mapping
    /// Which flat format to write.
    public let profile: FlatProfile
    /// How SED documents are read: streamed (the default), or parsed into a tree first (the reference the
    /// streaming reader is tested against).
    package var reading: SEDReading = .streaming

    /// Makes a writer.
    public init(mapping: Mapping, profile: FlatProfile) {
        self.mapping = mapping
        self.profile = profile
    }

    /// Writes `seds` (each a complete SED document) to `path` atomically (`DurableFile`: a temporary file in the same
    /// directory, fsync, rename, directory fsync). On error nothing is left at `path`.
    public func write(seds: some Sequence<[UInt8]>, to path: String) throws(SedgateError) -> ConversionSummary {
        try write(to: path) { (emitter) throws(SedgateError) in
            for (index, sed) in seds.enumerated() { try emitter.add(sed, name: "SED #\(index + 1)") }
        }
    }

    /// Writes the SED files at `paths`, in that order, to `path` atomically, reading one file at a time with
    /// `read` (memory holds one SED, whatever the count); errors name the SED by its path.
    public func write(
        sedFiles paths: some Sequence<String>, to path: String, read: (String) throws(SedgateError) -> [UInt8]
    ) throws(SedgateError) -> ConversionSummary {
        try write(to: path) { (emitter) throws(SedgateError) in
            for file in paths { try emitter.add(try read(file), name: file) }
        }
    }

    /// Runs `feed` on an emitter writing to a `DurableFile`, which then takes `path` whole.
    private func write(
        to path: String, feed: (inout FlatEmitter) throws(SedgateError) -> Void
    ) throws(SedgateError) -> ConversionSummary {
        let output = try DurableFile(path: path, mode: 0o644)
        var emitter = try FlatEmitter(
            mapping: mapping, profile: profile, reading: reading, sink: ByteSink(fd: output.descriptor, name: path))
        try feed(&emitter)
        let summary = try emitter.finish().summary
        try output.commit()
        return summary
    }

    /// Writes to an open descriptor (left open).
    public func write(
        seds: some Sequence<[UInt8]>, fileDescriptor: Int32, name: String = "output"
    ) throws(SedgateError) -> ConversionSummary {
        var emitter = try FlatEmitter(
            mapping: mapping, profile: profile, reading: reading, sink: ByteSink(fd: fileDescriptor, name: name))
        for (index, sed) in seds.enumerated() { try emitter.add(sed, name: "SED #\(index + 1)") }
        return try emitter.finish().summary
    }

    /// Writes to memory and returns the flat file's bytes.
    public func write(seds: some Sequence<[UInt8]>) throws(SedgateError) -> (bytes: [UInt8], summary: ConversionSummary)
    {
        var emitter = try FlatEmitter(
            mapping: mapping, profile: profile, reading: reading, sink: ByteSink(fd: nil, name: "output"))
        for (index, sed) in seds.enumerated() { try emitter.add(sed, name: "SED #\(index + 1)") }
        return try emitter.finish()
    }
}

/// The state of one flat file being written.
struct FlatEmitter {
    let mapping: Mapping
    let profile: FlatProfile
    var sink: ByteSink
    private var cursor: Structure.Cursor
    private var derivations: Derivations
    private var summary = ConversionSummary()
    /// The values of the open record at each level of the chain above the unit.
    private var open: [[String?]?]
    private var startedFile = false
    private let codec: FieldCodec?
    private let cffColumns: CFFColumns
    /// Records that are not part of any SED: written at the start (leaders) or when a group closes.
    private let leaders: [Int]
    private let closers: [String: [Int]]
    private let fileTrailers: [Int]
    /// Each layout's name as an index in `mapping.structure.names` (-1: not in the structure).
    private let structureIDs: [Int]
    /// The layouts of the chain, root first, and the repeated records below the unit with their element paths.
    private let chainLayouts: [Int]
    private let repeated: [(layout: Int, steps: [QName])]
    /// Each layout's bindings the writer reads, in the mapping's order.
    private let reads: [[WriteBinding]]
    /// Results of `code:` write functions by binding (layout, position in `reads`) and value.
    private var cache: [[[String: String]]]
    /// The MTF record being encoded (its memory kept from record to record).
    private var record: [UInt8] = []
    /// What is read from each SED, and the reader (nil: parse a tree and walk it).
    private let plan: SEDReadPlan
    private let stream: SEDStreamReader?

    /// A binding read on the way to the flat file: the element path, the field it fills, the function on the way.
    private struct WriteBinding {
        let path: ElementPath
        let field: Int
        let name: String
        let write: FunctionCall?
        /// Whether `write` is a `code:` look-up, whose results are cached.
        let pure: Bool
    }

    init(mapping: Mapping, profile: FlatProfile, reading: SEDReading, sink: ByteSink) throws(SedgateError) {
        self.mapping = mapping
        self.profile = profile
        self.sink = sink
        cursor = mapping.structure.begin
        structureIDs = mapping.records.map { mapping.structure.id(of: $0.name) ?? -1 }
        let chainLayouts = mapping.chain.map { mapping.recordIndex[$0]! }
        self.chainLayouts = chainLayouts
        let repeated: [(layout: Int, steps: [QName])] = mapping.records.indices.compactMap { index in
            let layout = mapping.records[index]
            guard mapping.descendants.contains(layout.name), let path = mapping.bindings[layout.name]?.repeatPath
            else { return nil }
            return (index, path.steps)
        }
        self.repeated = repeated
        let reads = mapping.records.map { (layout) -> [WriteBinding] in
            (mapping.bindings[layout.name]?.entries ?? []).compactMap { entry in
                guard let name = entry.field, let index = layout.fieldIndex[name], !entry.oneWay || entry.write != nil
                else { return nil }
                return WriteBinding(
                    path: entry.path, field: index, name: name, write: entry.write,
                    pure: entry.write?.name.hasPrefix("code:") ?? false)
            }
        }
        self.reads = reads
        cache = reads.map { Array(repeating: [:], count: $0.count) }
        plan = SEDReadPlan(
            contentRoot: mapping.sed.contentRoot, chain: chainLayouts.map { reads[$0].map { $0.path } },
            repeated: repeated.map { ($0.steps, reads[$0.layout].map { $0.path }) })
        stream = reading == .streaming ? SEDStreamReader(plan: plan) : nil
        derivations = Derivations(mapping: mapping)
        open = Array(repeating: nil, count: mapping.chain.count)
        cffColumns = CFFColumns(mapping: mapping)
        if profile == .mtf {
            guard let mtf = mapping.mtf else {
                throw SedgateError(
                    .configuration, "the mapping \(mapping.name) has no flat.mtf profile; add one or write CFF",
                    location: .init(file: mapping.path))
            }
            codec = FieldCodec(charset: mtf.charset, library: mapping.library)
        } else {
            codec = nil
        }
        var leaders: [Int] = []
        var closers: [String: [Int]] = [:]
        var trailers: [Int] = []
        let firstChain = mapping.structure.names.firstIndex(of: mapping.chain.first ?? "") ?? 0
        for (index, record) in mapping.records.enumerated()
        where !mapping.isInChain(record.name) && !mapping.descendants.contains(record.name) {
            if let parent = record.parent {
                closers[parent, default: []].append(index)
            } else if (mapping.structure.names.firstIndex(of: record.name) ?? Int.max) < firstChain {
                leaders.append(index)
            } else {
                trailers.append(index)
            }
        }
        self.leaders = leaders
        self.closers = closers
        self.fileTrailers = trailers
    }

    /// Adds one SED document.
    mutating func add(_ bytes: [UInt8], name: String) throws(SedgateError) {
        if let stream {
            try add(try stream.read(bytes, source: name), name: name)
        } else {
            try add(SEDValues(tree: try XMLTree.parse(bytes, source: name).root, plan: plan), name: name)
        }
    }

    /// Adds the SED whose values (by binding) are `sed`.
    private mutating func add(_ sed: SEDValues, name: String) throws(SedgateError) {
        guard sed.root.isSED, let content = sed.content else {
            throw SedgateError(
                .unsupportedInput, "\(name) is not a SED (root <SED> in \(EnvelopeXML.namespace) with a <Content>)",
                location: .init(file: name, line: sed.root.line, field: sed.root.path))
        }
        let rootName = mapping.sed.contentRoot
        guard sed.hasBase else {
            throw SedgateError(
                .unsupportedInput,
                "\(name) has no <\(rootName.qualified)> in its Content (namespace \(rootName.namespace ?? "none")); the mapping \(mapping.name) converts only such SEDs",
                location: .init(file: name, line: content.line, field: content.path))
        }
        summary.seds += 1
        if !startedFile {
            startedFile = true
            for index in leaders { try emit(index, values: nil, sed: name) }
        }
        // The unit's ancestors: a level whose data differs from the open record's starts a new group there.
        var levels: [([String?], [FoundValue?])] = []
        for (level, layout) in chainLayouts.enumerated() {
            levels.append(try values(layout, found: sed.chain[level], sed: name))
        }
        let unitLevel = mapping.chain.count - 1
        var changed = unitLevel
        for level in 0..<unitLevel where open[level] == nil || open[level]! != levels[level].0 {
            changed = level
            break
        }
        try close(from: changed, sed: name)
        for level in changed...unitLevel {
            try emit(chainLayouts[level], values: levels[level].0, sed: name, sources: levels[level].1)
            open[level] = levels[level].0
        }
        for (position, entry) in repeated.enumerated() {
            for found in sed.repeated[position] {
                let (values, sources) = try self.values(entry.layout, found: found, sed: name)
                try emit(entry.layout, values: values, sed: name, sources: sources)
            }
        }
    }

    /// Closes the groups at `level` and below (deepest first), writing their closing records.
    private mutating func close(from level: Int, sed: String) throws(SedgateError) {
        guard level < mapping.chain.count else { return }
        for depth in stride(from: mapping.chain.count - 1, through: level, by: -1) {
            if open[depth] != nil {
                for index in closers[mapping.chain[depth]] ?? [] {
                    try emit(index, values: nil, sed: sed)
                }
            }
            open[depth] = nil
        }
    }

    /// Finishes the file: closes every group, writes the trailers, checks the structure is complete.
    mutating func finish() throws(SedgateError) -> (bytes: [UInt8], summary: ConversionSummary) {
        if !startedFile {
            for index in leaders { try emit(index, values: nil, sed: "end of file") }
        }
        try close(from: 0, sed: "end of file")
        for index in fileTrailers { try emit(index, values: nil, sed: "end of file") }
        guard mapping.structure.canEnd(cursor) else {
            throw SedgateError(
                .unsupportedInput,
                "the SEDs given do not make a complete \(mapping.name) file: the layout \(mapping.structure.text) still expects \(mapping.structure.expected(cursor).joined(separator: " or ")) (were there no SEDs?)"
            )
        }
        try sink.flush()
        summary.bytesWritten = sink.written
        return (sink.collected, summary)
    }

    /// The field values of `layout` from the values `found` for its bindings, and the value each field came from.
    private mutating func values(
        _ layoutIndex: Int, found: [FoundValue?], sed: String
    ) throws(SedgateError) -> ([String?], [FoundValue?]) {
        let layout = mapping.records[layoutIndex]
        var values: [String?] = layout.fields.map { $0.constant ?? $0.defaultValue }
        var sources = [FoundValue?](repeating: nil, count: layout.fields.count)
        for (position, entry) in reads[layoutIndex].enumerated() {
            let index = entry.field
            let name = entry.name
            guard sources[index] == nil, let node = found[position] else { continue }
            let found = node.text
            var value = found
            if let write = entry.write {
                do {
                    if entry.pure, let known = cache[layoutIndex][position][value] {
                        value = known
                    } else {
                        value = try mapping.library.call(write.name, write.arguments(for: value))
                        // Code lists are small; a cap keeps memory bounded whatever the values.
                        if entry.pure && cache[layoutIndex][position].count < 4096 {
                            cache[layoutIndex][position][found] = value
                        }
                    }
                } catch {
                    throw SedgateError(
                        .unsupportedInput,
                        "\(sed): \(write) cannot convert '\(found.shownInMessage)' for the field \(name) of the \(layout.name) record: \(error.message)",
                        location: .init(file: sed, line: node.line, field: node.path))
                }
            }
            values[index] = value.isEmpty ? nil : value
            sources[index] = node
        }
        return (values, sources)
    }

    /// Writes one record whose fields come from the elements `sources` (by field index; errors point at them).
    private mutating func emit(
        _ layoutIndex: Int, values given: [String?]?, sed: String, sources: [FoundValue?]
    ) throws(SedgateError) {
        try emit(layoutIndex, values: given, sed: sed) { index in
            guard index < sources.count, let node = sources[index] else { return nil }
            return (node.line, node.path)
        }
    }

    /// Writes one record: checks the structure, fills derived fields, counts it, encodes it; `locate` gives the
    /// line and path of the element a field came from, for messages.
    private mutating func emit(
        _ layoutIndex: Int, values given: [String?]?, sed: String,
        locate: (Int) -> (line: Int, path: String)? = { _ in nil }
    ) throws(SedgateError) {
        let layout = mapping.records[layoutIndex]
        var values = given ?? layout.fields.map { $0.constant ?? $0.defaultValue }
        let structureID = structureIDs[layoutIndex]
        guard structureID >= 0, mapping.structure.advance(&cursor, over: structureID) else {
            throw SedgateError(
                .unsupportedInput,
                "\(sed) would need a \(layout.name) record here, which the layout \(mapping.structure.text) does not allow (it expects \(mapping.structure.expected(cursor).joined(separator: " or "))); check the order and grouping of the SEDs",
                location: .init(file: sed))
        }
        summary.records += 1
        derivations.begin(layoutIndex)
        for (index, value) in derivations.values(for: layoutIndex) {
            values[index] = (try? value.rescaled(to: layout.fields[index].scale))?.description ?? value.description
        }
        do {
            try derivations.count(layoutIndex, values: values)
        } catch {
            throw SedgateError(.unsupportedInput, "\(sed): \(error.message)", location: .init(file: sed))
        }
        switch profile {
        case .mtf:
            record.removeAll(keepingCapacity: true)
            // By index: the field is passed where it lies, not copied (a FieldLayout holds many references).
            for index in layout.fields.indices {
                do {
                    try codec!.encode(layout.fields[index], values[index], into: &record)
                } catch {
                    let field = layout.fields[index]
                    let node = locate(index)
                    throw SedgateError(
                        .unsupportedInput,
                        "\(sed): the field \(field.name) of the \(layout.name) record (PIC \(field.picture), columns \(field.offset + 1)-\(field.offset + field.length))"
                            + (node.map { " from \($0.path)" } ?? "") + ": \(error.message)",
                        location: .init(
                            file: sed, line: node?.line, record: summary.records, field: node?.path ?? field.name))
                }
            }
            record += mapping.mtf?.separatorBytes ?? []
            try sink.write(record)
        case .cff:
            if summary.records == 1 {
                try sink.write(CFFWriter.row(cffColumns.header, delimiter: mapping.cffDelimiter))
            }
            var cells = Array(repeating: "", count: cffColumns.header.count)
            cells[0] = layout.name
            for (index, column) in cffColumns.columns[layoutIndex].enumerated() {
                guard let column else { continue }
                cells[column] = values[index] ?? ""
            }
            try sink.write(CFFWriter.row(cells, delimiter: mapping.cffDelimiter))
        }
    }
}
