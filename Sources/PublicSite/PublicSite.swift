// PublicSite: the public, read-only, multilingual site of the EESSI directory (FS-10, FS-11, FS-22): server-rendered
// HTML that works without JavaScript, over the public copy of the directory (or a node's copy, shown without its
// operational fields). One request in, one response out, no state: the Hummingbird server (PublicSiteServer) and the
// tests call the same `respond`.
//
// URLs: `/` redirects to `/<language>/` by Accept-Language; `/<language>/` home (search form, countries);
// `/<language>/search?q=&country=&sector=&function=&benefit=`; `/<language>/directory/<country>` its sectors;
// `/<language>/directory/<country>/<sector word>` its institutions; `/<language>/directory/<country>/<sector word>/<id>`
// an institution; `/sitemap.xml` (an index of one sitemap per country); `/robots.txt`; and the JSON search
// `/directory/search?q=…` and `/directory/health` of `sedgate directory serve`.

public import Directory
import Foundation
public import SedgateCore
import Transport

/// A request as the site sees it.
public struct SiteRequest: Sendable {
    public var method: String
    /// The path as received (percent-encoded), without the query.
    public var path: String
    /// The query's parameters, decoded.
    public var query: [String: String]
    /// The Accept-Language header, if any.
    public var acceptLanguage: String?
    /// The Host header, if any (for absolute URLs when no base URL is configured).
    public var host: String?

    public init(
        method: String = "GET", path: String, query: [String: String] = [:], acceptLanguage: String? = nil,
        host: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.acceptLanguage = acceptLanguage
        self.host = host
    }
}

/// What the site answers.
public struct SiteResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    init(status: Int, contentType: String, body: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.headers = [("Content-Type", contentType)] + headers
        self.body = Array(body.utf8)
    }

    /// The value of header `name`, if set.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The public directory site.
public struct PublicSite: Sendable {
    /// The directory it shows.
    public let store: DirectoryStore
    /// The interface's messages.
    public let catalogue: SiteCatalogue
    /// The site's public address (`https://directory.example.eu`), for sitemap and canonical URLs; nil takes the
    /// request's Host.
    public let baseURL: String?
    let api: DirectorySearchAPI

    /// A site over `store` with the catalogues of `messages` (conversions/site/).
    public init(store: DirectoryStore, messages: String, baseURL: String? = nil) throws(SedgateError) {
        self.store = store
        catalogue = try SiteCatalogue(folder: messages)
        self.baseURL = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        api = DirectorySearchAPI(store: store, public: true)
    }

    /// Answers one request.
    public func respond(_ request: SiteRequest) -> SiteResponse {
        let origin = baseURL ?? "http://\(request.host ?? "localhost")"
        let segments = request.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let negotiated = LanguageNegotiation.choose(request.acceptLanguage, among: catalogue.languages)
        guard request.method == "GET" || request.method == "HEAD" else {
            return SiteResponse(
                status: 405, contentType: "text/plain; charset=utf-8", body: "read-only: GET only\n",
                headers: [("Allow", "GET, HEAD")])
        }
        let html = "text/html; charset=utf-8"
        do {
            switch segments.count {
            case 0:
                return SiteResponse(
                    status: 302, contentType: html, body: "",
                    headers: [("Location", "/\(negotiated)/"), ("Vary", "Accept-Language")])
            case 1 where segments[0] == "robots.txt":
                return SiteResponse(
                    status: 200, contentType: "text/plain; charset=utf-8",
                    body: "User-agent: *\nDisallow: /*/search\nSitemap: \(origin)/sitemap.xml\n")
            case 1 where segments[0] == "sitemap.xml":
                return SiteResponse(
                    status: 200, contentType: "application/xml; charset=utf-8", body: try sitemap.index(origin: origin))
            case 1 where segments[0].hasPrefix("sitemap-") && segments[0].hasSuffix(".xml"):
                let name = segments[0].dropFirst("sitemap-".count).dropLast(".xml".count)
                if let body = try sitemap.part(String(name), origin: origin) {
                    return SiteResponse(status: 200, contentType: "application/xml; charset=utf-8", body: body)
                }
            case 2 where segments[0] == "directory" && segments[1] == "search":
                let reply = api.answer(query: request.query)
                return SiteResponse(
                    status: reply.status, contentType: reply.contentType,
                    body: String(decoding: reply.body, as: UTF8.self))
            case 2 where segments[0] == "directory" && segments[1] == "health":
                return SiteResponse(status: 200, contentType: "text/plain; charset=utf-8", body: "ok")
            default:
                break
            }
            guard let language = segments.first, catalogue.languages.contains(language) else {
                return page(SitePages(site: self, language: negotiated).notFound(), negotiated, origin)
            }
            let pages = SitePages(site: self, language: language)
            let rest = Array(segments.dropFirst())
            switch rest.count {
            case 0:
                return page(try pages.home(), language, origin)
            case 1 where rest[0] == "search":
                return page(try pages.search(request.query), language, origin)
            case 1 where rest[0] == "directory":
                return page(try pages.home(), language, origin)
            case 2 where rest[0] == "directory":
                if let found = try pages.country(rest[1].uppercased()) { return page(found, language, origin) }
            case 3 where rest[0] == "directory":
                if let sector = catalogue.sector(slug: rest[2]),
                    let found = try pages.sector(rest[1].uppercased(), sector, after: request.query["after"] ?? "")
                {
                    return page(found, language, origin)
                }
            case 4 where rest[0] == "directory":
                if let sector = catalogue.sector(slug: rest[2]), let entry = try store.entry(rest[3]),
                    entry.kind == .institution, entry.country == rest[1].uppercased(),
                    entry.fields["sector"]?.contains(sector) == true
                {
                    return page(pages.institution(entry, sector: sector), language, origin)
                }
            default:
                break
            }
            return page(pages.notFound(), language, origin)
        } catch {
            return SiteResponse(
                status: 500, contentType: "text/plain; charset=utf-8",
                body: "the directory cannot be read now: \(error.message)\n")
        }
    }

    var sitemap: Sitemap { Sitemap(site: self) }

    private func page(_ page: SitePage, _ language: String, _ origin: String) -> SiteResponse {
        let layout = SiteLayout(catalogue: catalogue)
        return SiteResponse(
            status: page.status, contentType: "text/html; charset=utf-8",
            body: layout.render(page, language: language, origin: origin),
            headers: [("Content-Language", language)])
    }
}
