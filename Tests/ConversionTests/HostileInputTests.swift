// HostileInputTests: damaged and hostile flat files are refused with a message naming file, record and field.

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("Hostile flat input")
struct HostileInputTests {
    /// The UB sample as lines of Latin-1 text (80 bytes each, LF-separated).
    static func ubLines() throws -> [[UInt8]] {
        let bytes = try Support.bytes(Support.root + "/mappings/examples/ub-periods.mtf")
        return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map(Array.init)
    }

    static func ubFile(_ lines: [[UInt8]]) -> [UInt8] {
        lines.flatMap { $0 + [0x0A] }
    }

    /// Reads a damaged UB file and returns the error.
    static func ubError(_ bytes: [UInt8], profile: FlatProfile = .mtf) throws -> SedgateError {
        let mapping = try Support.mapping("ub-periods-1")
        let error = Support.error { _ = try Support.read(mapping, profile, bytes, source: "ub.mtf") }
        return try #require(error)
    }

    static func replacing(_ line: [UInt8], at offset: Int, with text: String) -> [UInt8] {
        var line = line
        let bytes = Array(text.utf8)
        line.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        return line
    }

    @Test("an over-long line is refused, naming the record")
    func overlongLine() throws {
        var lines = try Self.ubLines()
        lines[2] += Array("X".utf8)
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.file == "ub.mtf" && error.location?.record == 3)
        #expect(error.message.contains("record 3 is longer than 80 bytes"))
    }

    @Test("a short last record is refused as a truncated file")
    func shortLastRecord() throws {
        let bytes = Self.ubFile(try Self.ubLines())
        let error = try Self.ubError(Array(bytes.dropLast(11)))
        #expect(error.location?.record == 9)
        #expect(error.message.contains("the file ends inside record 9: it has 70 of its 80 bytes"))
    }

    @Test("a short line in the middle is refused with its length")
    func shortLine() throws {
        var lines = try Self.ubLines()
        lines[1].removeLast(5)
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.record == 2)
        #expect(error.message.contains("record 2 is 75 bytes long"))
    }

    @Test("a missing trailer refuses the whole file")
    func missingTrailer() throws {
        let error = try Self.ubError(Self.ubFile(Array(try Self.ubLines().dropLast())))
        #expect(error.message.contains("the file ends after record 8 (a period)"))
        #expect(error.message.contains("trailer"))
    }

    @Test("a wrong control total refuses the whole file, naming the trailer field")
    func wrongControlTotal() throws {
        var lines = try Self.ubLines()
        lines[8] = Self.replacing(lines[8], at: 14, with: "+000000004511474")
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.record == 9 && error.location?.field == "total-earnings")
        #expect(
            error.message.contains(
                "the trailer says 45114.74 but sum(period.earnings) over the records read is 45114.73"))
        #expect(error.message.contains("at column 15"))
    }

    @Test("a wrong record count is refused")
    func wrongCount() throws {
        var lines = try Self.ubLines()
        lines[8] = Self.replacing(lines[8], at: 1, with: "000004")
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.field == "persons")
        #expect(error.message.contains("count(person)"))
    }

    @Test("an invalid date is refused with the field and column")
    func invalidDate() throws {
        var lines = try Self.ubLines()
        lines[2] = Self.replacing(lines[2], at: 1, with: "20230229")
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.record == 3 && error.location?.field == "from" && error.location?.column == 2)
        #expect(error.message.contains("'20230229' is not a valid date for the pattern yyyyMMdd"))
    }

    @Test("a non-numeric amount is refused naming the PIC")
    func nonNumericAmount() throws {
        var lines = try Self.ubLines()
        lines[2] = Self.replacing(lines[2], at: 24, with: "00000ABC350+")
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.record == 3 && error.location?.field == "earnings" && error.location?.column == 25)
        #expect(
            error.description
                == "[unsupported-input] ub.mtf record 3 field earnings: in the period record at column 25, '00000ABC350+' is not a number for PIC S9(9)V99; correct the file (or the mapping ub-periods) and send it again"
        )
    }

    @Test("a control character in a text field is refused: XML cannot carry it")
    func controlCharacter() throws {
        var lines = try Self.ubLines()
        lines[1][32] = 0x01
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.field == "surname" && error.location?.column == 33)
        #expect(error.message.contains("U+0001 cannot be carried in XML"))
    }

    @Test("a C1 byte in a Latin-1 file hints at Windows-1252")
    func windows1252() throws {
        var lines = try Self.ubLines()
        lines[1][32] = 0x80
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.message.contains("Windows-1252"))
    }

    @Test("an unknown record type is refused with the known ones")
    func unknownKey() throws {
        var lines = try Self.ubLines()
        lines[3][0] = UInt8(ascii: "Z")
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.record == 4 && error.location?.column == 1)
        #expect(error.message.contains("record 4 has the record type 'Z'"))
        #expect(error.message.contains("H (header), P (person), Q (period), T (trailer)"))
    }

    @Test("a detail before any header is refused")
    func detailBeforeHeader() throws {
        let error = try Self.ubError(Self.ubFile(Array(try Self.ubLines().dropFirst())))
        #expect(error.location?.record == 1)
        #expect(error.message.contains("record 1 is a person record, but no header record comes before it"))
    }

    @Test("a record out of order is refused with what the layout expects")
    func outOfOrder() throws {
        var lines = try Self.ubLines()
        lines.append(lines[8])
        let error = try Self.ubError(Self.ubFile(lines))
        #expect(error.location?.record == 10)
        #expect(
            error.message.contains("record 10 is a trailer record, which cannot come here (after record 9, a trailer)"))
        #expect(error.message.contains("expects the end of the file"))
    }

    @Test("a non-numeric amount in a CFF file names the row and column")
    func cffNonNumeric() throws {
        let mapping = try Support.mapping("ub-periods-1")
        let seds = try Support.read(mapping, .mtf, Self.ubFile(try Self.ubLines()))
        var (cff, _) = try FlatWriter(mapping: mapping, profile: .cff).write(seds: seds)
        var text = String(decoding: cff, as: UTF8.self)
        text = text.replacingOccurrences(of: "45123.50", with: "45.123,50")
        cff = Array(text.utf8)
        let error = try Self.ubError(cff, profile: .cff)
        #expect(error.location?.record == 4 && error.location?.column == 16 && error.location?.field == "earnings")
        #expect(error.message.contains("'45.123,50' is not a number"))
    }

    @Test("an EBCDIC packed amount with a bad sign nibble is refused, shown in hex")
    func badPacked() throws {
        let mapping = try Support.mapping("ae-claims-1")
        var bytes = try Support.bytes(Support.root + "/mappings/examples/ae-claims.mtf")
        // Record 2 (first detail): amount at columns 102-110; break its sign nibble.
        bytes[120 + 109] = 0x41
        let error = try #require(Support.error { _ = try Support.read(mapping, .mtf, bytes, source: "ae.mtf") })
        #expect(error.location?.record == 2 && error.location?.field == "amount" && error.location?.column == 102)
        #expect(error.message.contains("X'000000000001234541' is not a number for PIC S9(15)V99 COMP-3"))
    }
}
