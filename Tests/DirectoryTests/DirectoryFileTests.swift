// DirectoryFileTests: bulk files: a CSV or XML import with one bad line applies nothing and names the line; exports
// read back as they were written.

import Directory
import Foundation
import SedgateCore
import Testing

@Suite struct DirectoryFileTests {
    @Test func aBadLineIsNamedByNumberAndNothingIsApplied() throws {
        let fixture = try DirectoryFixture()
        try fixture.store.apply([.set(DirectoryFixture.accessPoint("AP-DE", countries: ["DE"]))], who: "op", why: "t")
        let csv = """
            kind,id,name.de,ap,city.en,sector,function
            ci,DE:A1,"Kasse, Eins",AP-DE,Berlin,S,CI
            ci,DE:A2,Kasse Zwei,AP-DE,Berlin,S,CI|LB
            ci,DE:A3,Kasse Drei,AP-DE,,S,CI
            ci,DE:A4,Kasse Vier,AP-DE,Bonn,S,CI

            """
        let contents = DirectoryFile.read(Array(csv.utf8), format: .csv, source: "t.csv", country: "DE")
        #expect(contents.problems.isEmpty)
        let proposals = contents.entries.map { DirectoryProposal.set($0.entry) }
        let problems = try fixture.store.problems(proposals)
        #expect(problems.count == 1)
        #expect(contents.entries[problems[0].index].line == 4)
        #expect(problems[0].problem.contains("mandatory field 'city' is missing"))
        #expect(throws: SedgateError.self) { try fixture.store.apply(proposals, who: "op", why: "bulk") }
        #expect(try fixture.store.entry("DE:A1") == nil)
        #expect(contents.entries[0].entry.value("name.de") == "Kasse, Eins")
        #expect(contents.entries[1].entry.fields["function"] == ["CI", "LB"])
    }

    @Test func anImportForOneCountryRefusesAnotherCountrysLine() {
        let csv = "kind,id,name.fr\nci,DE:A1,x\nci,FR:B1,y\n"
        let contents = DirectoryFile.read(Array(csv.utf8), format: .csv, source: "t.csv", country: "FR")
        #expect(contents.problems.map(\.line) == [2])
    }

    @Test func csvAndXMLExportsReadBack() throws {
        let entries = [
            DirectoryFixture.institution(
                "EL:EFKA", ap: "AP-EL", names: ["el": "Εθνικός \"Φορέας\", <Α>"], function: ["CI", "LB"]),
            DirectoryFixture.accessPoint("AP-EL", countries: ["EL", "CY"]),
        ]
        let csv = DirectoryFile.read(Array(DirectoryFile.csv(entries).utf8), format: .csv, source: "x")
        #expect(csv.problems.isEmpty)
        #expect(csv.entries.map(\.entry) == entries)
        let xml = DirectoryFile.read(Array(DirectoryFile.xml(entries).utf8), format: .xml, source: "x")
        #expect(xml.problems.isEmpty)
        #expect(xml.entries.map(\.entry) == entries)
    }
}
