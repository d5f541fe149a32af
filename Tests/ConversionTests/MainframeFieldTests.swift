// MainframeFieldTests: what real mainframe extracts hold: a blank numeric date (refused, as mappings/README.md
// promises, unless the mapping declares it a null) and LOW-VALUES / HIGH-VALUES in fillers (accepted when the
// mapping declares the filler opaque, written back as the filler's declared fill).

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("Mainframe fields")
struct MainframeFieldTests {
    // MARK: - Blank numeric dates

    @Test("a blank 9(8) date in a header is refused with file, record, field and column, not dropped")
    func blankHeaderDate() throws {
        var lines = try HostileInputTests.ubLines()
        lines[0] = HostileInputTests.replacing(lines[0], at: 25, with: "        ")
        let error = try HostileInputTests.ubError(HostileInputTests.ubFile(lines))
        #expect(error.code == .unsupportedInput)
        #expect(error.location?.file == "ub.mtf")
        #expect(error.location?.record == 1)
        #expect(error.location?.field == "created")
        #expect(error.location?.column == 26)
        #expect(error.message.contains("blank"), "\(error.message)")
        #expect(error.message.contains("nulls"), "the message says how to declare a blank date: \(error.message)")
    }

    @Test("a blank 9(8) date in a child record is refused too")
    func blankPeriodDate() throws {
        var lines = try HostileInputTests.ubLines()
        lines[2] = HostileInputTests.replacing(lines[2], at: 1, with: "        ")
        let error = try HostileInputTests.ubError(HostileInputTests.ubFile(lines))
        #expect(error.location?.record == 3 && error.location?.field == "from", "\(error)")
        #expect(error.message.contains("blank"), "\(error.message)")
    }

    @Test("a blank date the mapping declares as a null is no value: the element is left out")
    func declaredBlankDate() throws {
        let yaml = try String(contentsOfFile: Support.mappingPath("ub-periods-1"), encoding: .utf8)
            .replacingOccurrences(
                of: "to:                {pic: 9(8), date: yyyyMMdd, nulls: [\"00000000\"]}",
                with: "to:                {pic: 9(8), date: yyyyMMdd, nulls: [\"00000000\", \"        \"]}")
        let mapping = try Mapping.load(try MappingTests.write(yaml), library: Support.library)
        var lines = try HostileInputTests.ubLines()
        lines[2] = HostileInputTests.replacing(lines[2], at: 9, with: "        ")
        let seds = try Support.read(mapping, .mtf, HostileInputTests.ubFile(lines))
        let first = String(decoding: seds[0], as: UTF8.self)
        #expect(!first.contains("<ub:To>2021-12-31</ub:To>") && first.contains("<ub:From>2020-01-01</ub:From>"))
    }

    @Test("writing a SED without a value for a 9(8) date that has no null is refused, not written as blanks")
    func absentDateOnWrite() throws {
        let sed = try WriteSideTests.sample("ub-periods", 1)
        let without = sed.replacingOccurrences(of: "<ub:Created>2025-03-01</ub:Created>", with: "")
        #expect(without != sed)
        let error = try WriteSideTests.writeError("ub-periods-1", [without])
        #expect(error.message.contains("the field created of the header record"), "\(error.message)")
        #expect(error.message.contains("no value"), "\(error.message)")
    }

    // MARK: - Opaque fillers

    /// The UB mapping with its header and period fillers declared opaque (the period's written as LOW-VALUES).
    static func opaqueUB() throws -> Mapping {
        let yaml = try String(contentsOfFile: Support.mappingPath("ub-periods-1"), encoding: .utf8)
            .replacingOccurrences(of: "filler:            {pic: X(47)}", with: "filler: {pic: X(47), opaque: true}")
            .replacingOccurrences(
                of: "filler:            {pic: X(44)}", with: "filler: {pic: X(44), opaque: true, fill: low-values}")
        return try Mapping.load(try MappingTests.write(yaml), library: Support.library)
    }

    @Test("LOW-VALUES and other bytes in a filler declared opaque are accepted and change nothing in the SEDs")
    func opaqueFillerRead() throws {
        let mapping = try Self.opaqueUB()
        let canonical = try Support.read(mapping, .mtf, HostileInputTests.ubFile(try HostileInputTests.ubLines()))
        var lines = try HostileInputTests.ubLines()
        lines[0].replaceSubrange(40..<44, with: [0x00, 0x00, 0xFF, 0x85])
        lines[2].replaceSubrange(36..<80, with: repeatElement(UInt8(0x00), count: 44))
        let seds = try Support.read(mapping, .mtf, HostileInputTests.ubFile(lines))
        #expect(seds == canonical)
    }

    @Test("an opaque filler is written back as its declared fill: spaces by default, or LOW-VALUES")
    func opaqueFillerWrite() throws {
        let mapping = try Self.opaqueUB()
        var lines = try HostileInputTests.ubLines()
        lines[0].replaceSubrange(40..<44, with: [0x00, 0x00, 0xFF, 0x85])
        let seds = try Support.read(mapping, .mtf, HostileInputTests.ubFile(lines))
        let (written, _) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: seds)
        var expected = try HostileInputTests.ubLines()
        for index in expected.indices where expected[index].first == UInt8(ascii: "Q") {
            expected[index].replaceSubrange(36..<80, with: repeatElement(UInt8(0x00), count: 44))
        }
        #expect(written == HostileInputTests.ubFile(expected))
    }

    @Test("a NUL in a filler that is not declared opaque is still refused, and the message says how to declare it")
    func plainFillerRefusesLowValues() throws {
        var lines = try HostileInputTests.ubLines()
        lines[0][40] = 0x00
        let error = try HostileInputTests.ubError(HostileInputTests.ubFile(lines))
        #expect(error.location?.record == 1 && error.location?.field == "filler" && error.location?.column == 41)
        #expect(error.message.contains("opaque: true"), "\(error.message)")
    }

    @Test("the shipped EBCDIC claims mapping takes LOW-VALUES and HIGH-VALUES in its fillers, and writes spaces back")
    func shippedClaimsFillers() throws {
        let mapping = try Support.mapping("ae-claims-1")
        let sample = try Support.bytes(Support.root + "/mappings/examples/ae-claims.mtf")
        var damaged = sample
        damaged.replaceSubrange(47..<120, with: repeatElement(UInt8(0x00), count: 73))
        damaged.replaceSubrange(232..<240, with: repeatElement(UInt8(0xFF), count: 8))
        let seds = try Support.read(mapping, .mtf, damaged)
        #expect(seds == (try Support.read(mapping, .mtf, sample)))
        let (written, _) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: seds)
        #expect(written == sample)
    }
}
