// PublicSiteHTTPTests: the public site's routes over plain HTTP, against a real `sedgate directory serve --site`:
// the language redirect, clean URLs down to an institution, titles and `lang`, hreflang alternates, the sitemap,
// robots.txt, 404s, read-only, and that the public copy shows no operational data.

import Foundation
import NIOHTTP1
import SedgateTesting
import Testing

@Suite("Public directory site over HTTP", .serialized)
struct PublicSiteHTTPTests {
    @Test("/ redirects to the visitor's language by Accept-Language, English when none is offered")
    func languageRedirect() async throws {
        let site = try await PublicSiteFixture(label: "site-redirect")
        let german = try await site.get("/", headers: [("Accept-Language", "de-AT,de;q=0.9,en;q=0.5")])
        #expect(german.status == 302)
        #expect(german.headers.first(name: "Location") == "/de/")
        let greek = try await site.get("/", headers: [("Accept-Language", "fr;q=0.4, el")])
        #expect(greek.headers.first(name: "Location") == "/el/")
        let other = try await site.get("/", headers: [("Accept-Language", "ja")])
        #expect(other.headers.first(name: "Location") == "/en/")
    }

    @Test("country, sector and institution pages have clean URLs, descriptive titles, lang and hreflang alternates")
    func browseTree() async throws {
        let site = try await PublicSiteFixture(label: "site-browse")
        let country = try await site.get("/de/directory/de")
        #expect(country.status == 200)
        #expect(country.body.contains("<html lang=\"de\""))
        #expect(country.body.contains("<title>Sozialversicherungsträger in Deutschland"), "\(country.body)")
        #expect(country.body.contains("href=\"/de/directory/de/sickness\""))
        #expect(country.body.contains("href=\"/de/directory/de/pensions\""))

        let sector = try await site.get("/en/directory/de/sickness")
        #expect(sector.status == 200)
        #expect(sector.body.contains("<title>Sickness: institutions in Germany"), "\(sector.body)")
        #expect(sector.body.contains("href=\"/en/directory/de/sickness/DE:AOK\""))
        #expect(!sector.body.contains("DE:DRV"), "a pension institution is not under sickness")

        let page = try await site.get("/el/directory/el/sickness/EL:EFKA")
        #expect(page.status == 200)
        #expect(page.body.contains("<html lang=\"el\""))
        #expect(page.body.contains("<title>Ηλεκτρονικός Εθνικός Φορέας Κοινωνικής Ασφάλισης – Ασθένεια – Ελλάδα"))
        for language in ["en", "fr", "de", "el"] {
            #expect(
                page.body.contains(
                    "<link rel=\"alternate\" hreflang=\"\(language)\" href=\"\(site.base)/\(language)/directory/el/sickness/EL:EFKA\">"
                ), "alternate \(language)")
        }
        // The same institution in English: its Greek name marked as Greek, with its Latin form.
        let english = try await site.get("/en/directory/el/pensions/EL:EFKA")
        #expect(english.body.contains("<span lang=\"el\">Ηλεκτρονικός Εθνικός"), "\(english.body)")
        #expect(english.body.contains("(Ilektronikos Ethnikos"), "\(english.body)")
        #expect(english.body.contains("Pensions") && english.body.contains("Liaison body"))
        // No operational data in the public copy: no AP URL, and the serving AP is not shown.
        #expect(!english.body.contains("https://ap-1.example") && !english.body.contains("AP-1"))

        #expect(try await site.get("/en/directory/de/sickness/DE:DRV").status == 404, "DRV is not in sickness")
        #expect(try await site.get("/en/directory/de/sickness/DE:NOPE").status == 404)
        #expect(try await site.get("/xx/anything").status == 404)
    }

    @Test("search in the visitor's language finds by synonym, transliteration and attribute")
    func search() async throws {
        let site = try await PublicSiteFixture(label: "site-search")
        let krankenkasse = try await site.get("/de/search?q=Krankenkasse")
        #expect(krankenkasse.status == 200)
        #expect(krankenkasse.body.contains("/de/directory/de/sickness/DE:TK"), "\(krankenkasse.body)")
        #expect(krankenkasse.body.contains("noindex"), "search results are not indexed")
        let latin = try await site.get("/en/search?q=ilektronikos%20ethnikos")
        #expect(latin.body.contains("/en/directory/el/sickness/EL:EFKA"), "\(latin.body)")
        // "maladie" is a synonym of "sickness": the French institution whose name says maladie is found in English.
        let synonym = try await site.get("/en/search?q=maladie&sector=S")
        #expect(synonym.body.contains("FR:CNAM"), "\(synonym.body)")
        let attribute = try await site.get("/fr/search?country=DE&function=LB")
        #expect(attribute.body.contains("DE:DVKA") && attribute.body.contains("DE:DRV"), "\(attribute.body)")
        #expect(!attribute.body.contains("DE:AOK"))
        #expect(attribute.body.contains("2 institutions trouvées"))
    }

    @Test("sitemap.xml indexes one sitemap per country, listing each page in every language with its alternates")
    func sitemap() async throws {
        let site = try await PublicSiteFixture(label: "site-sitemap")
        let index = try await site.get("/sitemap.xml")
        #expect(index.status == 200)
        #expect(index.headers.first(name: "Content-Type")?.hasPrefix("application/xml") == true)
        #expect(index.body.contains("<loc>\(site.base)/sitemap-el.xml</loc>"), "\(index.body)")
        let greece = try await site.get("/sitemap-el.xml")
        #expect(greece.status == 200)
        let loc = "<loc>\(site.base)/fr/directory/el/sickness/EL:EOPYY</loc>"
        #expect(greece.body.contains(loc), "\(greece.body)")
        for language in ["en", "fr", "de", "el"] {
            #expect(
                greece.body.contains(
                    "<xhtml:link rel=\"alternate\" hreflang=\"\(language)\" href=\"\(site.base)/\(language)/directory/el/sickness/EL:EOPYY\"/>"
                ))
        }
        // Two institutions, the country page and two sector pages, each once per language.
        #expect(greece.body.components(separatedBy: "<url>").count - 1 == 5 * 4, "\(greece.body)")
        let robots = try await site.get("/robots.txt")
        #expect(robots.body.contains("Sitemap: \(site.base)/sitemap.xml"))
        #expect(try await site.get("/sitemap-zz.xml").status == 404)
    }

    @Test("the JSON search still answers beside the site, and the site is read-only")
    func jsonAndReadOnly() async throws {
        let site = try await PublicSiteFixture(label: "site-json")
        let json = try await site.get("/directory/search?q=ilektronikos")
        #expect(json.status == 200)
        #expect(json.body.contains("\"id\":\"EL:EFKA\"") || json.body.contains("\"id\" : \"EL:EFKA\""), "\(json.body)")
        #expect(!json.body.contains("https://ap-1.example"))
        let post = try await ChildProcess.run(
            "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", site.base + "/en/"])
        #expect(post.output == "405")
    }
}
