// SiteLayout: the frame of every page of the public site: `lang` on the document, a descriptive title and
// description, the canonical URL and its `hreflang` alternates, a skip link, the language switcher, the breadcrumb,
// and one stylesheet inline (WCAG 2.1 AA: contrast above 4.5:1, visible focus, landmarks). No script: every page
// works without JavaScript.

import SedgateCore

/// One page before it is framed.
struct SitePage {
    /// The `<title>`: what the page is, then where it is.
    var title: String
    /// The `<meta name="description">`.
    var description: String
    /// The page's path after the language prefix (`directory/de/sickness`), the same in every language.
    var path: String
    /// The query string, if the page depends on one (search), without `?`.
    var query: String = ""
    /// Breadcrumb: label and path after the language prefix; the last is this page.
    var breadcrumb: [(label: String, path: String)] = []
    /// The `<main>` content.
    var body: String
    /// HTTP status (404 for the not-found page).
    var status: Int = 200
    /// Whether search engines should index it (not search results or errors).
    var indexable: Bool = true
}

/// HTML text escaping.
enum HTML {
    /// `text` safe between tags and inside double-quoted attributes.
    static func escape(_ text: String) -> String { text.htmlEscaped }

    /// A path segment or query value percent-encoded (RFC 3986 unreserved characters and `:` kept).
    static func percentEncode(_ text: String, keepColon: Bool = true) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            case UInt8(ascii: ":") where keepColon:
                out.append(":")
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Frames pages.
struct SiteLayout {
    let catalogue: SiteCatalogue

    /// The whole document of `page` in `language`; `origin` (`https://host`) makes the canonical and alternate
    /// links absolute, as search engines want them.
    func render(_ page: SitePage, language: String, origin: String) -> String {
        let t = { (key: String) in HTML.escape(catalogue.text(key, language)) }
        let query = page.query.isEmpty ? "" : "?" + page.query
        let url = { (lang: String) in "\(origin)/\(lang)/\(page.path)\(query)" }
        var head = """
            <!doctype html>
            <html lang="\(language)" dir="ltr">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(page.title))</title>
            <meta name="description" content="\(HTML.escape(page.description))">

            """
        if page.indexable {
            head += "<link rel=\"canonical\" href=\"\(HTML.escape(url(language)))\">\n"
        } else {
            head += "<meta name=\"robots\" content=\"noindex, follow\">\n"
        }
        for other in catalogue.languages {
            head += "<link rel=\"alternate\" hreflang=\"\(other)\" href=\"\(HTML.escape(url(other)))\">\n"
        }
        head += "<link rel=\"alternate\" hreflang=\"x-default\" href=\"\(HTML.escape(url("en")))\">\n"
        head += "<style>\(Self.style)</style>\n</head>\n"

        var switcher = "<nav class=\"languages\" aria-label=\"\(t("nav.languages"))\"><ul>"
        for other in catalogue.languages {
            let name = HTML.escape(catalogue.text("language.name", other))
            let current = other == language ? " aria-current=\"true\"" : ""
            switcher +=
                "<li><a href=\"/\(other)/\(HTML.escape(page.path + query))\" hreflang=\"\(other)\" lang=\"\(other)\""
                + "\(current)>\(name)</a></li>"
        }
        switcher += "</ul></nav>"

        var crumbs = ""
        if !page.breadcrumb.isEmpty {
            crumbs = "<nav class=\"breadcrumb\" aria-label=\"\(t("nav.breadcrumb"))\"><ol>"
            crumbs += "<li><a href=\"/\(language)/\">\(t("nav.home"))</a></li>"
            for (index, crumb) in page.breadcrumb.enumerated() {
                if index == page.breadcrumb.count - 1 {
                    crumbs +=
                        "<li><a href=\"/\(language)/\(HTML.escape(crumb.path))\" aria-current=\"page\">"
                        + "\(HTML.escape(crumb.label))</a></li>"
                } else {
                    crumbs +=
                        "<li><a href=\"/\(language)/\(HTML.escape(crumb.path))\">\(HTML.escape(crumb.label))</a></li>"
                }
            }
            crumbs += "</ol></nav>"
        }

        return head + """
            <body>
            <a class="skip" href="#main">\(t("nav.skip"))</a>
            <header><p class="site"><a href="/\(language)/">\(t("site.name"))</a></p>\(switcher)</header>
            \(crumbs)
            <main id="main" tabindex="-1">
            \(page.body)
            </main>
            <footer><p>\(t("footer.text"))</p><p><a href="/sitemap.xml">\(t("footer.sitemap"))</a></p></footer>
            </body>
            </html>

            """
    }

    /// One stylesheet for every page: dark text on white (contrast 15:1), links #0a4a8f (8.6:1), visible focus.
    static let style = """
        :root{color-scheme:light}
        body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1b1b1b;\
        background:#fff}
        a{color:#0a4a8f}a:visited{color:#5a2a82}
        a:focus,button:focus,input:focus,select:focus,main:focus{outline:3px solid #b35900;outline-offset:2px}
        .skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}.skip:focus{left:.5rem}
        header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:1rem;\
        padding:.75rem 1.5rem;background:#0a3161;color:#fff}
        header a{color:#fff}header a:visited{color:#fff}.site{margin:0;font-weight:700;font-size:1.25rem}
        .languages ul,.breadcrumb ol{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.75rem}
        .languages a[aria-current]{font-weight:700;text-decoration-thickness:3px}
        .breadcrumb{padding:.5rem 1.5rem;background:#f1f3f6}.breadcrumb li+li::before{content:"›";margin-right:.75rem;\
        color:#4a4a4a}
        main{display:block;max-width:60rem;margin:0 auto;padding:1rem 1.5rem 2rem}
        h1{font-size:1.75rem;line-height:1.25}h2{font-size:1.3rem}
        form.search{display:grid;gap:.75rem;margin:1rem 0 2rem}
        label{font-weight:600;display:block}.hint{color:#4a4a4a;margin:.1rem 0 .3rem}
        input[type=search],select{font:inherit;padding:.45rem .5rem;border:2px solid #5a5a5a;border-radius:4px;\
        background:#fff;color:#1b1b1b;max-width:100%}
        input[type=search]{width:min(36rem,100%)}
        fieldset{border:1px solid #8a8a8a;border-radius:4px;display:flex;flex-wrap:wrap;gap:1rem}
        button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:4px;background:#0a4a8f;color:#fff;\
        cursor:pointer;justify-self:start}
        ul.results,ul.browse{padding-left:1.25rem}ul.results li{margin:.75rem 0}
        .meta{color:#4a4a4a;margin:.1rem 0}.latin{color:#4a4a4a}.badge{font-size:.9rem;color:#1f5e1f}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.25rem}dt{font-weight:600}dd{margin:0}
        footer{border-top:1px solid #c8c8c8;padding:1rem 1.5rem;color:#4a4a4a;font-size:.9rem}
        """
}
