// WriteSideTests: SED XML → flat: data that the layout cannot hold is refused precisely, never cut or rounded.

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("XML to flat")
struct WriteSideTests {
    static func sample(_ fixture: String, _ number: Int) throws -> String {
        String(
            decoding: try Support.bytes(
                Support.fixtures + "/\(fixture)/expected/" + String(format: "%04d.xml", number)),
            as: UTF8.self)
    }

    static func writeError(_ mapping: String, _ seds: [String]) throws -> SedgateError {
        let loaded = try Support.mapping(mapping)
        let error = Support.error {
            _ = try FlatWriter(mapping: loaded, profile: .mtf).write(seds: seds.map { Array($0.utf8) })
        }
        return try #require(error)
    }

    @Test("a 40-character name for an X(25) field is refused, naming SED, element and field")
    func overflow() throws {
        let long = "Vandenbroucke-Oppenheimer-Sainte-Claire"
        let sed = try Self.sample("ae-claims", 1).replacingOccurrences(of: ">Dupont<", with: ">\(long)<")
        let error = try Self.writeError("ae-claims-1", [sed])
        #expect(error.location?.file == "SED #1")
        #expect(error.location?.field == "/SED/Content/ActualExpenditureClaim/Person/FamilyName")
        #expect(error.message.contains("the field surname of the detail record (PIC X(25), columns 38-62)"))
        #expect(error.message.contains("'\(long)' is 39 characters"))
        #expect(error.message.contains("on-overflow: truncate"))
    }

    @Test("an amount with more decimals than the PIC holds is refused, not rounded")
    func tooManyDecimals() throws {
        let sed = try Self.sample("ae-claims", 1).replacingOccurrences(of: ">1234.56<", with: ">1234.565<")
        let error = try Self.writeError("ae-claims-1", [sed])
        #expect(error.message.contains("1234.565 has more decimals than PIC S9(15)V99 holds (2)"))
    }

    @Test("an amount too large for the PIC is refused, not cut")
    func tooLarge() throws {
        let sed = try Self.sample("ae-claims", 1).replacingOccurrences(of: ">1234.56<", with: ">1000000000000000.00<")
        let error = try Self.writeError("ae-claims-1", [sed])
        #expect(error.message.contains("does not fit PIC S9(15)V99"))
    }

    @Test("a character EBCDIC 037 cannot hold is refused with its code point")
    func unmappable() throws {
        let sed = try Self.sample("ae-claims", 1).replacingOccurrences(of: ">Marie<", with: ">Mariа<")
        let error = try Self.writeError("ae-claims-1", [sed])
        #expect(error.message.contains("(U+0430) cannot be written in IBM037"))
    }

    @Test("a non-number in XML is refused naming the PIC")
    func notANumber() throws {
        let sed = try Self.sample("ae-claims", 1).replacingOccurrences(of: ">1234.56<", with: ">ABC<")
        let error = try Self.writeError("ae-claims-1", [sed])
        #expect(error.message.contains("'ABC' is not a number for PIC S9(15)V99"))
        #expect(error.location?.line == 44)
    }

    @Test("a SED of another kind is refused")
    func wrongContent() throws {
        let sed = try Self.sample("ub-periods", 1)
        let error = try Self.writeError("ae-claims-1", [sed])
        #expect(error.message.contains("has no <ae:ActualExpenditureClaim> in its Content"))
    }

    @Test("no SEDs cannot make a file with a mandatory header")
    func empty() throws {
        let error = try Self.writeError("ae-claims-1", [])
        #expect(
            error.message.contains(
                "would need a trailer record here, which the layout (header detail+)+ trailer does not allow (it expects header)"
            ))
    }

    @Test("Greek names are transliterated by ELOT 743 when written to a Latin-1 file")
    func transliteration() throws {
        let mapping = try Support.mapping("ub-periods-1")
        let sed = try Self.sample("ub-periods", 2).replacingOccurrences(of: ">Weiß<", with: ">Παπαδόπουλος<")
        let (flat, _) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: [Array(sed.utf8)])
        let text = String(decoding: flat, as: UTF8.self)
        #expect(text.contains("Papadopoulos"))
    }

    @Test("SEDs with different header data start a new header group; totals are computed")
    func headerGroups() throws {
        let mapping = try Support.mapping("ae-claims-1")
        let seds = try (1...4).map { Array(try Self.sample("ae-claims", $0).utf8) }
        let (flat, summary) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: seds)
        #expect(summary.records == 7)
        #expect(flat.count == 7 * 120)
        // Record 1 and record 5 are headers (EBCDIC 'H' is 0xC8); record 7 is the trailer ('T' is 0xE3).
        #expect(flat[0] == 0xC8 && flat[4 * 120] == 0xC8 && flat[6 * 120] == 0xE3)
    }

    @Test("writing to a path leaves no partial file when a SED is bad")
    func atomicWrite() throws {
        let mapping = try Support.mapping("ae-claims-1")
        let directory = NSTemporaryDirectory() + "sedgate-write-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = Array(try Self.sample("ae-claims", 1).utf8)
        let bad = Array(try Self.sample("ae-claims", 2).replacingOccurrences(of: "-25.00", with: "x").utf8)
        #expect(throws: SedgateError.self) {
            try FlatWriter(mapping: mapping, profile: .mtf).write(seds: [good, bad], to: directory + "/out.mtf")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        let summary = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: [good], to: directory + "/out.mtf")
        #expect(summary.bytesWritten == 3 * 120)
        #expect(try Support.bytes(directory + "/out.mtf").count == 360)
    }
}
