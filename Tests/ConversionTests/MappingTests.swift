// MappingTests: loading and checking mapping files: YAML read as text, every error with its line, layout tables.

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("Mapping files")
struct MappingTests {
    static func write(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "sedgate-mapping-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A one-record mapping around `fields` (YAML lines under `fields:`), in `charset`.
    static func single(_ fields: String, charset: String = "ISO-8859-1", length: Int) -> String {
        """
        mapping: test
        version: 012
        namespaces: {t: "urn:test"}
        flat:
          mtf: {charset: \(charset), record-length: \(length), separator: NONE}
          structure: "item+"
          records:
            item:
              key: I
              fields:
                kind: {pic: X, const: I}
        \(fields)
        sed:
          unit: item
          content: t:Item
          envelope: {SedType: X001, SedVersion: "1", Sector: SI, BucType: B, CaseId: C, Sender: "NO:1", Receiver: "BE:2"}
        bind:
          item:
            t:Value: {field: value}
        """
    }

    @Test("YAML scalars stay text: NO is Norway and 012 keeps its zero")
    func yamlAsText() throws {
        let path = try Self.write(Self.single("        value: {pic: X(2), const: NO}", length: 3))
        let mapping = try Mapping.load(path, library: Support.library)
        #expect(mapping.version == "012")
        var seds: [ConvertedSED] = []
        _ = try FlatReader(mapping: mapping, profile: .mtf, source: "t").read(bytes: Array("INO".utf8)) {
            (sed: ConvertedSED) throws(SedgateError) in seds.append(sed)
        }
        #expect(seds.count == 1)
        #expect(seds[0].envelope.sender.country == "NO")
        #expect(String(decoding: seds[0].bytes, as: UTF8.self).contains("<t:Value>NO</t:Value>"))
    }

    @Test("mapping check lists every error with its line")
    func checkListsErrors() throws {
        let yaml = Self.single(
            """
                    value: {pic: X(3}
                    amount: {pic: S9(5)V99, usage: comp-4}
                    total: {pic: 9(5), derive: sum(item.nothing)}
            """, length: 10
        ).replacingOccurrences(of: "t:Value: {field: value}", with: "t:Value: {field: valu, codec: code:nope}")
        let path = try Self.write(yaml)
        let errors = MappingCheck.check(path, library: Support.library)
        let lines = errors.compactMap { $0.location?.line }
        #expect(errors.count >= 5)
        #expect(errors.allSatisfy { $0.code == .configuration && $0.location?.file == path })
        #expect(errors.contains { $0.message.contains("'X(3' is not a PIC") && $0.location?.line == 12 })
        #expect(errors.contains { $0.message.contains("usage 'comp-4'") && $0.location?.line == 13 })
        #expect(errors.contains { $0.message.contains("sums 'item.nothing'") && $0.location?.line == 14 })
        #expect(errors.contains { $0.message.contains("has no field 'valu'") })
        #expect(errors.contains { $0.message.contains("codec 'code:nope' is not an invertible pair") })
        #expect(lines == lines.sorted())
        #expect(throws: SedgateError.self) { try Mapping.load(path, library: Support.library) }
    }

    @Test("the shipped mappings check clean")
    func shippedMappingsAreClean() {
        for name in ["ae-claims-1", "ub-periods-1"] {
            #expect(MappingCheck.check(Support.mappingPath(name), library: Support.library).isEmpty, "\(name)")
        }
    }

    @Test("record lengths that do not add up are reported")
    func lengthMismatch() throws {
        let path = try Self.write(Self.single("        value: {pic: X(5)}", length: 10))
        let errors = MappingCheck.check(path, library: Support.library)
        #expect(errors.contains { $0.message.contains("take 6 bytes, but record-length is 10") })
    }

    @Test("the layout table shows offsets like cb2xml")
    func layoutTable() throws {
        let mapping = try Support.mapping("ae-claims-1")
        let table = mapping.layoutTable(profile: .mtf)
        try Support.expectGolden([Array(table.utf8)], in: Support.fixtures + "/ae-claims/layout", extension: "txt")
        #expect(table.contains("amount          102    110  9       S9(15)V99  comp-3"))
    }
}
