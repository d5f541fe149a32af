// DirectorySearchTests: what a clerk types finds the institution: any case and accents, a Greek or Bulgarian name
// from its Latin form, synonyms across languages, partial words, attributes; EHIC issuers come first.

import Directory
import Foundation
import SedgateCore
import Testing
import Transport

@Suite struct DirectorySearchTests {
    let fixture: DirectoryFixture

    init() throws {
        fixture = try DirectoryFixture()
        try fixture.store.apply(
            [
                .set(DirectoryFixture.accessPoint("AP-EL", countries: ["EL", "BG", "DE", "FR"])),
                .set(
                    DirectoryFixture.institution(
                        "EL:EFKA", ap: "AP-EL", names: ["el": "Ηλεκτρονικός Εθνικός Φορέας Κοινωνικής Ασφάλισης"])),
                .set(
                    DirectoryFixture.institution(
                        "BG:NOI", ap: "AP-EL", names: ["bg": "Национален осигурителен институт"], function: ["LB"],
                        sector: ["PN"])),
                .set(
                    DirectoryFixture.institution(
                        "DE:AOK", ap: "AP-EL", names: ["de": "AOK Krankenversicherung Bayern"], sector: ["S"])),
                .set(
                    DirectoryFixture.institution(
                        "DE:TK", ap: "AP-EL", names: ["de": "Techniker Krankenkasse"], function: ["CI", "EHIC"])),
                .set(
                    DirectoryFixture.institution(
                        "FR:CPAM", ap: "AP-EL", names: ["fr": "Caisse primaire d'assurance maladie de Paris"])),
            ], who: "op", why: "t")
    }

    func ids(_ text: String, _ query: DirectoryQuery = DirectoryQuery()) throws -> [String] {
        var query = query
        query.text = text
        return try fixture.store.search(query).map(\.id)
    }

    @Test func caseAndAccentsDoNotMatter() throws {
        #expect(try ids("CAISSE PRIMAIRE").contains("FR:CPAM"))
        #expect(try ids("assurance maladie").contains("FR:CPAM"))
    }

    @Test func greekAndCyrillicNamesAreFoundFromTheirLatinForm() throws {
        #expect(try ids("ilektronikos ethnikos") == ["EL:EFKA"])
        #expect(try ids("Ηλεκτρονικός") == ["EL:EFKA"])
        #expect(try ids("natsionalen osiguritelen") == ["BG:NOI"])
    }

    @Test func synonymsAndCountryNamesInOtherLanguagesMatch() throws {
        // "sickness" is the label of sector S; "maladie" and "Krankheit" are its synonyms.
        #expect(try Set(ids("Krankheit")).isSuperset(of: ["DE:AOK", "FR:CPAM"]))
        #expect(try Set(ids("Deutschland", DirectoryQuery(kind: .institution))) == ["DE:AOK", "DE:TK"])
        #expect(try Set(ids("Allemagne", DirectoryQuery(kind: .institution))) == ["DE:AOK", "DE:TK"])
    }

    @Test func partialWordsMatch() throws {
        #expect(try ids("Krankenvers bay") == ["DE:AOK"])
        #expect(try ids("tech kranken") == ["DE:TK"])
    }

    @Test func ehicIssuersComeFirst() throws {
        #expect(try ids("Germany").first == "DE:TK")
    }

    @Test func attributesFilter() throws {
        #expect(try ids("", DirectoryQuery(attributes: ["function": "LB"])) == ["BG:NOI"])
        #expect(try Set(ids("", DirectoryQuery(country: "DE", attributes: ["sector": "S"]))) == ["DE:AOK", "DE:TK"])
        #expect(try ids("pensions") == ["BG:NOI"])
    }

    @Test func theJSONAPIShowsCodesInTheReadersLanguageAndNoOperationalFieldsInPublic() throws {
        let reply = DirectorySearchAPI(store: fixture.store, public: true).answer(query: [
            "q": "Techniker", "lang": "fr",
        ])
        #expect(reply.status == 200)
        let text = String(decoding: reply.body, as: UTF8.self)
        #expect(text.contains("Maladie"))
        #expect(text.contains("\"ehicIssuer\":true"))
        let aps = DirectorySearchAPI(store: fixture.store, public: true).answer(query: ["kind": "ap"])
        #expect(!String(decoding: aps.body, as: UTF8.self).contains("https://"))
    }
}
