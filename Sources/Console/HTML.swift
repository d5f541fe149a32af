// HTML: the console's pages as escaped text: one layout (skip link, banner, navigation, main landmark), forms that
// carry the session's CSRF token, tables with captions and scoped headers. No script: every page works without.

import Foundation
import SedgateCore

/// Escapes text for HTML element content and quoted attribute values.
func esc(_ text: String) -> String { text.htmlEscaped }

/// Percent-encodes a query value.
func urlEncode(_ text: String) -> String {
    let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)
    return text.utf8.map { allowed.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
}

/// The page frame.
enum Layout {
    /// The navigation entries: path, label, and whether the viewer may see it.
    static func page(
        title: String, node: String, session: ConsoleSession?, current: String, body: String, notice: String? = nil
    ) -> String {
        var navigation = ""
        if let session {
            let permissions = Permissions(session.user.roles)
            var items = [
                ("/dashboard", "Dashboard"), ("/messages", "Messages"), ("/directory", "Directory"),
                ("/statistics", "Statistics"),
            ]
            if permissions.canAudit { items.append(("/audit", "Audit")) }
            navigation =
                "<nav aria-label=\"Console\"><ul>"
                + items.map { path, label in
                    "<li><a href=\"\(path)\"\(path == current ? " aria-current=\"page\"" : "")>\(label)</a></li>"
                }.joined()
                + "</ul></nav>"
                + "<form class=\"signout\" method=\"post\" action=\"/signout\">\(csrfField(session))"
                + "<span>\(esc(session.user.name)) (\(esc(session.user.roles.map(\.description).joined(separator: ", "))))</span> "
                + "<button type=\"submit\">Sign out</button></form>"
        }
        let noticeHTML = notice.map { "<div class=\"notice\" role=\"status\">\(esc($0))</div>" } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(title)) · sedgate console · \(esc(node))</title>
            <link rel="stylesheet" href="/console.css">
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header><p class="brand">sedgate console · node <strong>\(esc(node))</strong></p>\(navigation)</header>
            <main id="main" tabindex="-1">
            <h1>\(esc(title))</h1>
            \(noticeHTML)
            \(body)
            </main>
            <footer><p>sedgate operator console</p></footer>
            </body>
            </html>

            """
    }

    /// The hidden field every POST form carries.
    static func csrfField(_ session: ConsoleSession) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(esc(session.csrf))\">"
    }

    /// A table with a caption and column headers scoped to their columns.
    static func table(caption: String, headers: [String], rows: [[String]], raw: Bool = false) -> String {
        guard !rows.isEmpty else { return "<p>\(esc(caption)): none.</p>" }
        let head = headers.map { "<th scope=\"col\">\(esc($0))</th>" }.joined()
        let body = rows.map { row in
            "<tr>" + row.map { "<td>\(raw ? $0 : esc($0))</td>" }.joined() + "</tr>"
        }.joined(separator: "\n")
        return "<table><caption>\(esc(caption))</caption><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    /// A labelled text input.
    static func input(
        _ name: String, label: String, value: String = "", type: String = "text", error: String? = nil,
        required: Bool = false, hint: String? = nil, autocomplete: String? = nil
    ) -> String {
        let id = "f-" + name.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        var described: [String] = []
        if hint != nil { described.append(id + "-hint") }
        if error != nil { described.append(id + "-error") }
        let aria =
            (described.isEmpty ? "" : " aria-describedby=\"\(described.joined(separator: " "))\"")
            + (error == nil ? "" : " aria-invalid=\"true\"")
        return "<div class=\"field\(error == nil ? "" : " invalid")\"><label for=\"\(id)\">\(esc(label))</label>"
            + (hint.map { "<span class=\"hint\" id=\"\(id)-hint\">\(esc($0))</span>" } ?? "")
            + "<input id=\"\(id)\" name=\"\(esc(name))\" type=\"\(type)\" value=\"\(esc(value))\"\(aria)"
            + (required ? " required" : "") + (autocomplete.map { " autocomplete=\"\($0)\"" } ?? "") + ">"
            + (error.map { "<span class=\"error\" id=\"\(id)-error\">\(esc($0))</span>" } ?? "") + "</div>"
    }
}

/// The console's style sheet: high-contrast colours (every pair at 4.5:1 or more), a visible focus ring, no
/// external fonts.
enum Style {
    static let css = """
        :root { color-scheme: light; --ink: #1b1b1b; --paper: #ffffff; --accent: #0b4f8a; --muted: #4a4a4a;
          --bad: #a4161a; --good: #1e5e2e; --line: #767676; --band: #eef2f6; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--paper); }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus, main:focus-visible {
          outline: 3px solid #c75000; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 8px; top: 8px; background: var(--paper); padding: 4px 8px; z-index: 1; }
        header { background: var(--accent); color: #ffffff; padding: 8px 16px; display: flex; flex-wrap: wrap;
          align-items: center; gap: 16px; }
        header a { color: #ffffff; }
        header .brand { margin: 0; }
        nav ul { list-style: none; display: flex; gap: 16px; margin: 0; padding: 0; }
        nav a[aria-current="page"] { font-weight: bold; text-decoration-thickness: 3px; }
        .signout { margin-left: auto; display: flex; gap: 8px; align-items: center; }
        main { padding: 16px; max-width: 1200px; }
        footer { padding: 8px 16px; color: var(--muted); border-top: 1px solid var(--line); }
        table { border-collapse: collapse; margin: 8px 0 24px; }
        caption { text-align: left; font-weight: bold; padding: 4px 0; }
        th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
        thead th { background: var(--band); }
        .field { margin: 8px 0; display: flex; flex-direction: column; max-width: 640px; }
        .field label { font-weight: bold; }
        .hint { color: var(--muted); font-size: 0.9em; }
        .error { color: var(--bad); font-weight: bold; }
        .invalid input, .invalid textarea { border: 2px solid var(--bad); }
        input, select, textarea { font: inherit; padding: 4px; border: 1px solid var(--line); }
        button { font: inherit; padding: 4px 12px; background: var(--accent); color: #ffffff; border: 0;
          cursor: pointer; }
        button.danger { background: var(--bad); }
        a.button { display: inline-block; padding: 4px 12px; background: var(--accent); color: #ffffff;
          text-decoration: none; }
        a.button:hover, button:hover { text-decoration: underline; }
        .notice { border-left: 6px solid var(--good); background: #eef6ef; padding: 8px; margin: 8px 0; }
        .problem { border-left: 6px solid var(--bad); background: #fbeeee; padding: 8px; margin: 8px 0; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
        .search { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: flex-end; }
        .search .field { margin: 0; }
        .actions { display: flex; flex-wrap: wrap; gap: 8px; }
        figure { margin: 0 0 16px; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
        dt { font-weight: bold; } dd { margin: 0; }
        svg text { fill: var(--ink); font-size: 12px; }
        .bar-out { fill: #0b4f8a; } .bar-in { fill: #1e5e2e; } .bar-relay { fill: #6b2c91; }
        """
}
