// SEDStreamTests: the flat writer reading SEDs as a libxml2 stream writes what it wrote from a parsed tree, byte
// for byte, and refuses what it refused with the same error, on the shipped mappings and on SEDs edited to find
// the corners of the walk (first child only, repeated records, attributes, text below, other namespaces).

import Conversion
import Foundation
import SedgateCore
import Testing

@Suite("Streaming SED reading")
struct SEDStreamTests {
    /// The SEDs of each shipped sample, with the mapping that reads it.
    static func samples() throws -> [(mapping: Mapping, seds: [String])] {
        try [
            ("ae-claims-1", "ae-claims.mtf"), ("ae-claims-1", "ae-claims-small.mtf"),
            ("ub-periods-1", "ub-periods.mtf"),
        ]
        .map { name, file in
            let mapping = try Support.mapping(name)
            let bytes = try Support.bytes(Support.root + "/mappings/examples/" + file)
            let seds = try Support.read(mapping, .mtf, bytes).map { String(decoding: $0, as: UTF8.self) }
            return (mapping, seds)
        }
    }

    /// The flat bytes (or the error) of writing `seds` with `reading`, in both profiles.
    static func write(_ mapping: Mapping, _ seds: [String], reading: SEDReading) -> [Result<[UInt8], SedgateError>] {
        FlatProfile.allCases.map { profile in
            var writer = FlatWriter(mapping: mapping, profile: profile)
            writer.reading = reading
            return Result { () throws(SedgateError) in
                try writer.write(seds: seds.map { Array($0.utf8) }).bytes
            }
        }
    }

    /// Expects the stream and the tree to give the same bytes or the same error (code, message, location).
    static func expectSame(_ mapping: Mapping, _ seds: [String], _ comment: Comment) {
        for (stream, tree) in zip(write(mapping, seds, reading: .streaming), write(mapping, seds, reading: .tree)) {
            switch (stream, tree) {
            case (.success(let streamed), .success(let parsed)):
                #expect(streamed == parsed, comment)
            case (.failure(let streamed), .failure(let parsed)):
                #expect(streamed.code == parsed.code, comment)
                #expect(streamed.message == parsed.message, comment)
                #expect(streamed.location == parsed.location, comment)
            default:
                Issue.record("stream \(stream) but tree \(tree): \(comment)")
            }
        }
    }

    @Test("the shipped samples come back byte for byte, as from the tree")
    func samplesRoundTrip() throws {
        for (mapping, seds) in try Self.samples() {
            Self.expectSame(mapping, seds, "\(mapping.name)")
            let back = try FlatWriter(mapping: mapping, profile: .mtf).write(seds: seds.map { Array($0.utf8) }).bytes
            let again = try Support.read(mapping, .mtf, back).map { String(decoding: $0, as: UTF8.self) }
            #expect(again == seds, "\(mapping.name)")
        }
    }

    /// Edits of a SED's text: each is applied to every SED of every sample.
    static let edits: [(String, @Sendable (String) -> String)] = [
        (
            "comments, PIs and CDATA",
            {
                $0.replacingOccurrences(of: "<Content>", with: "<Content><!-- c --><?pi x?>")
                    .replacingOccurrences(of: ">2024-", with: "><![CDATA[2024]]>-")
                    .replacingOccurrences(of: ">2020-", with: "><!--x-->2020<?p?>-")
            }
        ),
        (
            "entities and character references",
            {
                $0.replacingOccurrences(of: ">Dupont<", with: ">Du&amp;p&#111;nt&lt;<")
                    .replacingOccurrences(of: ">DE-U-", with: ">&#68;E-U-")
            }
        ),
        (
            "a second element of a first-only step",
            {
                $0.replacingOccurrences(
                    of: "</ae:Person>", with: "</ae:Person><ae:Person><ae:FamilyName>Two</ae:FamilyName></ae:Person>"
                )
                .replacingOccurrences(
                    of: "</ub:Person>", with: "</ub:Person><ub:Person><ub:PersonId>9</ub:PersonId></ub:Person>"
                )
                .replacingOccurrences(
                    of: "</ub:Periods>", with: "</ub:Periods><ub:Periods><ub:Period type=\"09\"/></ub:Periods>")
            }
        ),
        (
            "text below a bound element",
            {
                $0.replacingOccurrences(of: "<ae:Amount>", with: "<ae:Amount><x:i xmlns:x=\"urn:x\">1</x:i>")
                    .replacingOccurrences(of: "<ub:Days>", with: "<ub:Days><ub:Days>1</ub:Days>")
            }
        ),
        (
            "elements in another namespace or undeclared prefixes",
            {
                $0.replacingOccurrences(
                    of: "<ae:Treatment>", with: "<ae:Treatment><ae:From xmlns:ae=\"urn:other\">1999-01-01</ae:From>"
                )
                .replacingOccurrences(of: "<ub:Period type", with: "<zz:Period type=\"07\"/><ub:Period type")
            }
        ),
        (
            "attributes: missing, escaped, namespaced",
            {
                $0.replacingOccurrences(of: "type=\"01\"", with: "zz:type=\"05\" x:type=\"06\" xmlns:x=\"urn:x\"")
                    .replacingOccurrences(of: "type=\"02\"", with: "type=\"&#48;2\"")
            }
        ),
        ("an attribute with an ampersand", { $0.replacingOccurrences(of: "type=\"02\"", with: "type=\"&amp;2\"") }),
        (
            "an empty repeated element and empty values",
            {
                $0.replacingOccurrences(of: "<ub:Periods>", with: "<ub:Periods><ub:Period/>")
                    .replacingOccurrences(of: ">Marie<", with: "><")
            }
        ),
        (
            "values the functions or the layout refuse",
            {
                $0.replacingOccurrences(of: ">BEL<", with: ">XXX<")
                    .replacingOccurrences(of: ">Jürgen<", with: ">Jürgen 日本<")
            }
        ),
        (
            "a value too long for its field",
            {
                $0.replacingOccurrences(of: ">Dupont<", with: ">" + String(repeating: "D", count: 40) + "<")
                    .replacingOccurrences(of: ">Müller<", with: ">" + String(repeating: "M", count: 40) + "<")
            }
        ),
        (
            "a number that is not one",
            {
                $0.replacingOccurrences(of: ">1234.56<", with: ">12x<").replacingOccurrences(of: ">731<", with: ">7.5<")
            }
        ),
        (
            "no content root",
            {
                $0.replacingOccurrences(of: "ae:ActualExpenditureClaim", with: "ae:Other")
                    .replacingOccurrences(of: "ub:InsurancePeriods", with: "ub:Other")
            }
        ),
        (
            "not a SED",
            {
                $0.replacingOccurrences(of: "<Content>", with: "<Contents>").replacingOccurrences(
                    of: "</Content>", with: "</Contents>")
            }
        ),
        (
            "another root",
            {
                $0.replacingOccurrences(of: "<SED ", with: "<NotSED ").replacingOccurrences(
                    of: "</SED>", with: "</NotSED>")
            }
        ),
        (
            "malformed",
            {
                $0.replacingOccurrences(of: "</ae:Amount>", with: "</ae:Amt>").replacingOccurrences(
                    of: "</ub:Days>", with: "</ub:D>")
            }
        ),
        (
            "a DOCTYPE",
            {
                $0.replacingOccurrences(
                    of: "<SED ", with: "<!DOCTYPE SED [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><SED ")
            }
        ),
    ]

    @Test("edited SEDs give the same flat bytes, or the same error, from the stream as from the tree")
    func editsAsTree() throws {
        for (mapping, seds) in try Self.samples() {
            for (name, edit) in Self.edits {
                Self.expectSame(mapping, seds.map(edit), "\(mapping.name): \(name)")
                // One edited SED among good ones: the error names that one.
                var one = seds
                one[one.count / 2] = edit(one[one.count / 2])
                Self.expectSame(mapping, one, "\(mapping.name): \(name), one SED")
            }
        }
    }
}
