// IdentifierTests: SED ids, node ids and institution addresses accept what EESSI uses and refuse the rest.

import Foundation
import SedgateCore
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    @Test("a SED id is a UUID in canonical lowercase; anything else is refused")
    func sedIds() {
        #expect(SEDID("3B8F1D2C-5E6A-4F70-8A9B-1C2D3E4F5A6B")?.rawValue == "3b8f1d2c-5e6a-4f70-8a9b-1c2d3e4f5a6b")
        #expect(SEDID("3b8f1d2c5e6a4f708a9b1c2d3e4f5a6b") == nil)
        #expect(SEDID("3b8f1d2c-5e6a-4f70-8a9b-1c2d3e4f5a6g") == nil)
        #expect(SEDID("../../etc/passwd") == nil)
        let fresh = SEDID.random()
        #expect(SEDID(fresh.rawValue) == fresh)
        #expect(fresh != SEDID.random())
    }

    @Test("random ids are version 4 UUIDs in lowercase, each new, with every hex digit in use")
    func randomIds() throws {
        var seen = Set<String>()
        var digits = Set<Character>()
        for _ in 0..<5_000 {
            let text = RandomID.uuid()
            let parsed = try #require(SEDID(text), "'\(text)' is not a UUID")
            #expect(parsed.rawValue == text, "not lowercase: \(text)")
            let characters = Array(text)
            #expect(characters[14] == "4", "version nibble of \(text)")
            #expect("89ab".contains(characters[19]), "variant nibble of \(text)")
            #expect(seen.insert(text).inserted, "repeated: \(text)")
            digits.formUnion(text.filter { $0 != "-" })
        }
        #expect(digits == Set("0123456789abcdef"))
    }

    @Test("a node id is safe as a file name and in a URL")
    func nodeIds() {
        #expect(NodeID("AP-BE") != nil)
        #expect(NodeID("cn.eu_1") != nil)
        for bad in ["", ".", "..", "a/b", "AP BE", String(repeating: "x", count: 33), "AP\nBE"] {
            #expect(NodeID(bad) == nil, "'\(bad)' must be refused")
        }
    }

    @Test("an address is CC:INSTITUTION[:OFFICE[:EXTRA]] with an upper-case country code")
    func addresses() throws {
        let address = try #require(Address("DK:0002:AARHUS:X-1"))
        #expect(address.country == "DK")
        #expect(address.institution == "0002")
        #expect(address.office == "AARHUS")
        #expect(address.extra == "X-1")
        #expect(address.description == "DK:0002:AARHUS:X-1")
        #expect(Address("UK:NHS01")?.country == "UK")
        for bad in ["DK", "dk:0002", "DNK:0002", "DK:", "DK:00 02", "DK:0002:A:B:C", "DK:ABCDEFGHIJK", "Denmark"] {
            #expect(Address(bad) == nil, "'\(bad)' must be refused")
        }
    }

    @Test("error codes a retry cannot mend are permanent; outages are not")
    func permanence() {
        #expect(SedgateError.Code.malformedXML.isPermanent)
        #expect(SedgateError.Code.unknownRoute.isPermanent)
        #expect(SedgateError.Code.duplicate.isPermanent)
        #expect(!SedgateError.Code.peerUnavailable.isPermanent)
        #expect(!SedgateError.Code.backPressure.isPermanent)
        #expect(!SedgateError.Code.storage.isPermanent)
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("a written timestamp reads back, and its age decides expiry")
    func ages() throws {
        let written = Timestamp.iso8601(Date(timeIntervalSince1970: 1_000_000))
        #expect(written == "1970-01-12T13:46:40.000Z")
        #expect(Timestamp.parse(written) == Date(timeIntervalSince1970: 1_000_000))
        let now = Date(timeIntervalSince1970: 1_000_000 + 3_601)
        #expect(Timestamp.isOlder(written, than: .seconds(3_600), now: now))
        #expect(!Timestamp.isOlder(written, than: .seconds(3_602), now: now))
        #expect(!Timestamp.isOlder("not a time", than: .seconds(0)))
    }
}
