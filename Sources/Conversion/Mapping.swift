// Mapping: one loaded mapping file (records, layout, SED unit, envelope, bindings) and its public face.

public import ConversionFunctions
public import SedgateCore

/// A loaded, checked mapping between a flat file family and SED XML, ready to convert in both directions.
///
/// Load it with `Mapping.load(_:library:)`; `MappingCheck.check(_:library:)` lists every problem instead of the
/// first. Immutable and shareable between threads.
public struct Mapping: Sendable {
    /// The mapping's name (`ae-claims`).
    public var name: String
    /// The mapping's version (`1.0`), read as text.
    public var version: String
    /// The file it was loaded from.
    public let path: String

    let namespaces: [(prefix: String, uri: String)]
    package let mtf: MTFProfile?
    let cffDelimiter: UInt8
    let records: [RecordLayout]
    let recordIndex: [String: Int]
    let structure: Structure
    let sed: SEDSpec
    let bindings: [String: RecordBinding]
    let library: FunctionLibrary

    /// The record types from the root down to the SED unit (`[header, detail]`).
    let chain: [String]
    /// The record types nested below the unit (`[period]`), in declaration order.
    let descendants: Set<String>

    /// Loads and checks a mapping file; throws the first problem found (`.configuration`, with its line).
    public static func load(_ path: String, library: FunctionLibrary) throws(SedgateError) -> Mapping {
        var loader = MappingLoader(path: path, library: library)
        let mapping = loader.load()
        if let first = loader.errors.first { throw first }
        guard let mapping else {
            throw SedgateError(.configuration, "the mapping could not be loaded", location: .init(file: path))
        }
        return mapping
    }

    /// Each record's fields with offset, length, PIC and usage, like cb2xml, to check against a legacy spec.
    public func layoutTable(profile: FlatProfile) -> String {
        LayoutTable.render(self, profile: profile)
    }

    func record(_ name: String) -> RecordLayout? { recordIndex[name].map { records[$0] } }

    /// Whether `name` is the unit or one of its ancestors.
    func isInChain(_ name: String) -> Bool { chain.contains(name) }
}

/// Which flat format a conversion reads or writes.
public enum FlatProfile: String, Sendable, CaseIterable {
    /// Fixed-width records in the mapping's code page (the mainframe "MTF" format).
    case mtf
    /// The common flat-file format: RFC 4180 CSV, UTF-8, `;`, a header row, record type in column 1.
    case cff
}
