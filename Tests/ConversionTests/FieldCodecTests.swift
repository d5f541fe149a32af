// FieldCodecTests: zoned and packed decimals, signs, and EBCDIC code pages, read and written back byte for byte.

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("Field encodings")
struct FieldCodecTests {
    /// Reads one record with a single `value` field and returns the XML value, then checks writing gives the bytes back.
    static func roundTrip(_ field: String, charset: String, record: [UInt8]) throws -> String? {
        let path = try MappingTests.write(
            MappingTests.single("        value: \(field)", charset: charset, length: record.count))
        let mapping = try Mapping.load(path, library: Support.library)
        let seds = try Support.read(mapping, .mtf, record)
        let text = String(decoding: seds[0], as: UTF8.self)
        let (back, _) = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: seds)
        #expect(back == record, "written back")
        guard let start = text.range(of: "<t:Value>"), let end = text.range(of: "</t:Value>") else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    @Test("ASCII overpunched trailing sign: } is -0, A is +1")
    func asciiOverpunch() throws {
        #expect(try Self.roundTrip("{pic: S9(3)V99}", charset: "ISO-8859-1", record: Array("I1234}".utf8)) == "-123.40")
        #expect(try Self.roundTrip("{pic: S9(3)V99}", charset: "ISO-8859-1", record: Array("I0000A".utf8)) == "0.01")
    }

    @Test("EBCDIC zoned decimal takes its sign from the zone nibble")
    func ebcdicZoned() throws {
        #expect(
            try Self.roundTrip("{pic: S9(3)V99}", charset: "IBM037", record: [0xC9, 0xF1, 0xF2, 0xF3, 0xF4, 0xD0])
                == "-123.40")
        #expect(
            try Self.roundTrip(
                "{pic: S9(3)V99, sign: leading}", charset: "IBM500", record: [0xC9, 0xC1, 0xF2, 0xF3, 0xF4, 0xF5])
                == "123.45")
    }

    @Test("separate signs, leading and trailing")
    func separateSigns() throws {
        #expect(
            try Self.roundTrip(
                "{pic: S9(3)V9, sign: leading-separate}", charset: "ISO-8859-1", record: Array("I-0012".utf8)) == "-1.2"
        )
        #expect(
            try Self.roundTrip(
                "{pic: S9(3)V9, sign: trailing-separate}", charset: "IBM1047",
                record: [0xC9, 0xF0, 0xF0, 0xF1, 0xF2, 0x4E]) == "1.2")
    }

    @Test("packed decimal: 12345 is X'12345C', odd and even digit counts, negative D")
    func packed() throws {
        #expect(
            try Self.roundTrip("{pic: S9(5), usage: comp-3}", charset: "ISO-8859-1", record: [0x49, 0x12, 0x34, 0x5C])
                == "12345")
        #expect(
            try Self.roundTrip("{pic: S9(3)V9, usage: comp-3}", charset: "IBM037", record: [0xC9, 0x00, 0x12, 0x3D])
                == "-12.3")
        #expect(
            try Self.roundTrip("{pic: 9(3), usage: comp-3}", charset: "IBM037", record: [0xC9, 0x99, 0x9F]) == "999")
    }

    @Test("a 17-digit amount stays exact through packed decimal")
    func seventeenDigits() throws {
        let record: [UInt8] = [0xC9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9D]
        #expect(
            try Self.roundTrip("{pic: S9(15)V99, usage: comp-3}", charset: "IBM037", record: record)
                == "-999999999999999.99")
    }

    @Test("EBCDIC text in IBM273 (German) and IBM037 keeps accented letters")
    func ebcdicText() throws {
        // IBM273: Ä=0x4A, Ö=0xE0, Ü=0x5A, ß=0xA1; the bytes come from iconv, checked here against the code page chart.
        #expect(try Self.roundTrip("{pic: X(4)}", charset: "IBM273", record: [0xC9, 0x4A, 0xE0, 0x5A, 0xA1]) == "ÄÖÜß")
        #expect(try Self.roundTrip("{pic: X(3)}", charset: "IBM037", record: [0xC9, 0x51, 0x40, 0x40]) == "é")
    }

    @Test("numbers in spaces are refused unless declared as nulls")
    func blankNumbers() throws {
        #expect(throws: SedgateError.self) {
            try Self.roundTrip("{pic: 9(3)}", charset: "ISO-8859-1", record: Array("I   ".utf8))
        }
        #expect(
            try Self.roundTrip("{pic: 9(3), nulls: ['   ']}", charset: "ISO-8859-1", record: Array("I   ".utf8)) == nil)
    }
}
