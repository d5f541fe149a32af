// GoldenTests: the sample files in mappings/examples convert to the expected SED XML, and back, byte for byte.

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("Golden conversions")
struct GoldenTests {
    static let cases: [(mapping: String, input: String, profile: FlatProfile, fixture: String)] = [
        ("ae-claims-1", "ae-claims.mtf", .mtf, "ae-claims"),
        ("ub-periods-1", "ub-periods.mtf", .mtf, "ub-periods"),
    ]

    @Test("each sample flat file converts to the expected SED documents", arguments: 0..<2)
    func flatToXML(_ index: Int) throws {
        let sample = Self.cases[index]
        let mapping = try Support.mapping(sample.mapping)
        let input = try Support.bytes(Support.root + "/mappings/examples/" + sample.input)
        let seds = try Support.read(mapping, sample.profile, input)
        try Support.expectGolden(seds, in: Support.fixtures + "/\(sample.fixture)/expected")
    }

    @Test("flat → XML → flat gives the same bytes", arguments: 0..<2)
    func flatRoundTrip(_ index: Int) throws {
        let sample = Self.cases[index]
        let mapping = try Support.mapping(sample.mapping)
        let input = try Support.bytes(Support.root + "/mappings/examples/" + sample.input)
        let seds = try Support.read(mapping, .mtf, input)
        let (output, summary) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: seds)
        #expect(output == input)
        #expect(summary.seds == seds.count)
    }

    @Test("XML → flat → XML gives the same documents", arguments: 0..<2)
    func xmlRoundTrip(_ index: Int) throws {
        let sample = Self.cases[index]
        let mapping = try Support.mapping(sample.mapping)
        let directory = Support.fixtures + "/\(sample.fixture)/expected"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let seds = try names.map { try Support.bytes(directory + "/" + $0) }
        let (flat, _) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: seds)
        #expect(try Support.read(mapping, .mtf, flat) == seds)
    }

    @Test("the UB sample converts to CFF and back to the same SEDs and MTF bytes")
    func cffRoundTrip() throws {
        let mapping = try Support.mapping("ub-periods-1")
        let input = try Support.bytes(Support.root + "/mappings/examples/ub-periods.mtf")
        let seds = try Support.read(mapping, .mtf, input)
        let (cff, _) = try FlatWriter(mapping: mapping, profile: .cff).write(seds: seds)
        try Support.expectGolden([cff], in: Support.fixtures + "/ub-periods/cff", extension: "csv")
        let again = try Support.read(mapping, .cff, cff, source: "ub.csv")
        #expect(again == seds)
        let (mtf, _) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: again)
        #expect(mtf == input)
    }
}
