// PublicSiteTests: the public site's pages and catalogues in process (no server): every catalogue translates every
// English key, Accept-Language picks the right language, each page type renders in every language with `lang`,
// labels in the page's language (Greek ones from the catalogue), and no operational field.

import Directory
import Foundation
import PublicSite
import SedgateCore
import SedgateTesting
import Testing

@Suite("Public site pages")
struct PublicSiteTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let conversions = repository + "/conversions"

    let folder: TemporaryDirectory
    let site: PublicSite

    init() throws {
        folder = try TemporaryDirectory("public-site")
        let store = try DirectoryStore(
            path: folder.appending("directory.sqlite"),
            schema: try DirectorySchema.load(Self.conversions + "/directory/schema.json"),
            text: try SearchText(conversions: Self.conversions))
        let csv = try Data(
            contentsOf: URL(fileURLWithPath: Self.repository + "/Tests/BrowserTests/Fixtures/directory.csv"))
        let contents = DirectoryFile.read(Array(csv), format: .csv, source: "directory.csv")
        #expect(contents.problems.isEmpty, "\(contents.problems)")
        _ = try store.apply(contents.entries.map { .set($0.entry) }, who: "test", why: "fixture")
        site = try PublicSite(
            store: store, messages: Self.conversions + "/site", baseURL: "https://directory.example.eu")
    }

    func get(_ path: String, _ query: [String: String] = [:]) -> SiteResponse {
        site.respond(SiteRequest(path: path, query: query))
    }

    @Test("every catalogue has every key of the English one, and at least en, fr, de and el exist")
    func cataloguesAreComplete() {
        #expect(Set(site.catalogue.languages).isSuperset(of: ["en", "fr", "de", "el"]))
        let english = site.catalogue.keys("en")
        for language in site.catalogue.languages {
            let missing = english.subtracting(site.catalogue.keys(language))
            #expect(missing.isEmpty, "\(language).properties lacks \(missing.sorted())")
        }
    }

    @Test("Accept-Language chooses the interface of a first visit")
    func negotiation() {
        let cases: [(String?, String)] = [
            (nil, "en"), ("de-CH", "de"), ("en;q=0.2, fr;q=0.8", "fr"), ("el-GR,el;q=0.9", "el"), ("pt-BR", "en"),
            ("*", "en"), ("fr;q=0, de", "de"),
        ]
        for (header, expected) in cases {
            let response = site.respond(SiteRequest(path: "/", acceptLanguage: header))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/\(expected)/", "\(header ?? "none")")
        }
    }

    @Test("each page type renders in each language with lang, a descriptive title and absolute hreflang alternates")
    func pagesInEveryLanguage() {
        let paths = ["", "directory/el", "directory/el/sickness", "directory/el/sickness/EL:EFKA", "search"]
        for language in site.catalogue.languages {
            for path in paths {
                let response = get("/\(language)/\(path)", path == "search" ? ["q": "efka"] : [:])
                #expect(response.status == 200, "/\(language)/\(path)")
                #expect(response.text.contains("<html lang=\"\(language)\""))
                #expect(response.header("Content-Language") == language)
                let query = path == "search" ? "?q=efka" : ""
                #expect(
                    response.text.contains(
                        "hreflang=\"el\" href=\"https://directory.example.eu/el/\(path)\(query)\""),
                    "/\(language)/\(path)")
            }
        }
        let greek = get("/el/directory/el/sickness/EL:EFKA").text
        #expect(
            greek.contains(
                "<title>Ηλεκτρονικός Εθνικός Φορέας Κοινωνικής Ασφάλισης – Ασθένεια – Ελλάδα – Κατάλογος EESSI</title>")
        )
        #expect(greek.contains("Οργανισμός σύνδεσης"), "a code label the schema lacks in Greek, from el.properties")
        let address = get("/en/directory/el/sickness/EL:EFKA").text
        #expect(
            address.contains(
                "<span lang=\"el\">Αγίου Κωνσταντίνου 8</span> <span class=\"latin\" lang=\"el-Latn\">(Agiou Konstantinou 8)</span>"
            ), "a Greek street in an English page is marked as Greek, with its Latin form: \(address)")
        let german = get("/de/directory/de/sickness/DE:AOK").text
        #expect(german.contains("<h1>AOK Bayern – Die Gesundheitskasse</h1>"), "the German name, unmarked, in German")
        #expect(german.contains("<span lang=\"en\">AOK Bavaria</span>"), "the other names in their language")
        #expect(german.contains("Stellt die Europäische Krankenversicherungskarte aus"))
        #expect(german.contains("href=\"mailto:service@by.aok.de\"") && german.contains("href=\"tel:+4989627300\""))
    }

    @Test("the site never shows an access point or its operational fields")
    func noOperationalData() {
        for path in ["/en/", "/en/directory/de", "/en/directory/de/sickness", "/en/directory/de/sickness/DE:AOK"] {
            let text = get(path).text
            #expect(!text.contains("AP-1") && !text.contains("ap-1.example"), "\(path)")
        }
        #expect(!get("/en/search", ["q": "ap-1.example"]).text.contains("<ul class=\"results\""))
        #expect(get("/en/directory/de/sickness/AP-1").status == 404)
    }

    @Test("unknown pages are not found, a sector page continues after a cursor, and writes are refused")
    func unknownAndPaged() {
        #expect(get("/en/directory/zz").status == 404)
        #expect(get("/en/directory/de/nonsense").status == 404)
        #expect(get("/en/directory/de/sickness", ["after": "DE:AOK"]).text.contains("DE:TK"))
        #expect(!get("/en/directory/de/sickness", ["after": "DE:AOK"]).text.contains("DE:AOK<"))
        #expect(site.respond(SiteRequest(method: "DELETE", path: "/en/")).status == 405)
    }
}
