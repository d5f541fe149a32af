// ConsolePages+Directory: directory maintenance at the node: the entries of its countries, an entry's form (each
// problem the schema finds shown next to its field), bulk upload of a CSV or XML file with the line-by-line report
// (all lines or none, as `sedgate directory import`), and an entry's history. Changes go the way the CLI's go: an
// AP asks the CN, which applies them and replicates them to every node.

import Directory
import Foundation
import Hummingbird
import SedgateCore

extension Console {
    func directoryAccess() throws -> DirectoryAccess {
        guard let directory = node.directory else {
            throw Refusal(
                target: "directory",
                reason: "This node has no directory (no conversions folder: set [conversions] directory).")
        }
        return directory
    }

    func directoryList(_ request: Request, _ session: ConsoleSession) throws -> Page {
        let directory = try directoryAccess()
        let values = Self.query(request)
        let text = values["q", default: ""].trimmingCharacters(in: .whitespaces)
        let country = values["country", default: ""]
        var entries: [DirectoryEntry] = []
        if let countries = directory.countries {
            for one in countries.sorted() where country.isEmpty || one == country {
                entries += try directory.store.entries(kind: .institution, country: one, limit: 2_000)
            }
        } else {
            entries = try directory.store.entries(country: country.isEmpty ? nil : country, limit: 2_000)
        }
        if !text.isEmpty {
            let needle = text.lowercased()
            entries = entries.filter { entry in
                entry.id.lowercased().contains(needle)
                    || entry.fields.values.contains { $0.contains { $0.lowercased().contains(needle) } }
            }
        }
        let permissions = Permissions(session.user.roles)
        let rows = entries.prefix(500).map { entry -> [String] in
            let name =
                entry.fields.filter { $0.key.hasPrefix("name") }.sorted { $0.key < $1.key }.first?.value.first ?? ""
            let editable = permissions.canEdit(country: entry.country, sectors: entry.fields["sector"] ?? [])
            let link = "/directory/entry?id=\(urlEncode(entry.id))"
            return [
                "<a href=\"\(link)\">\(esc(entry.id))</a>", esc(entry.kind.rawValue), esc(name),
                esc(entry.value("city.en") ?? entry.fields.first { $0.key.hasPrefix("city") }?.value.first ?? ""),
                esc((entry.fields["sector"] ?? []).joined(separator: ", ")), esc(entry.value("ap") ?? ""),
                (editable ? "<a href=\"\(link)\">Edit</a> · " : "")
                    + "<a href=\"/directory/history?id=\(urlEncode(entry.id))\">History</a>",
            ]
        }
        let scope = directory.countries.map { "the entries of " + $0.sorted().joined(separator: ", ") } ?? "every entry"
        let body =
            "<p>This node maintains \(esc(scope)). Serial \(try directory.store.serial()).</p>"
            + "<form class=\"search\" method=\"get\" action=\"/directory\" role=\"search\" aria-label=\"Find entries\">"
            + Layout.input("q", label: "Text", value: text, hint: "id, name, city...")
            + Layout.input("country", label: "Country", value: country)
            + "<button type=\"submit\">Find</button></form>"
            + (permissions.canEditDirectory
                ? "<p class=\"actions\"><a href=\"/directory/entry?kind=ci\">New institution</a>"
                    + "<a href=\"/directory/upload\">Bulk upload</a></p>" : "")
            + Layout.table(
                caption: "Directory entries",
                headers: ["Id", "Kind", "Name", "City", "Sectors", "Access point", "Actions"],
                rows: Array(rows), raw: true)
        return .html(page("Directory", session, "/directory", body))
    }

    /// The form of one entry (new when `id` is absent or unknown).
    func entryPage(_ request: Request, _ session: ConsoleSession) throws -> Page {
        let directory = try directoryAccess()
        let values = Self.query(request)
        let id = values["id", default: ""]
        let kind = EntryKind(rawValue: values["kind", default: "ci"]) ?? .institution
        let entry = (id.isEmpty ? nil : try directory.store.entry(id)) ?? DirectoryEntry(kind: kind, id: id)
        return .html(
            page(
                "Entry \(entry.id.isEmpty ? "(new)" : entry.id)", session, "/directory",
                entryForm(entry, session, directory, problems: [:], why: "")))
    }

    /// The fields of `entry`'s kind in the schema, the entry's own fields (e.g. `name.de`), and one blank row for a
    /// field to add; each with the problems found for it.
    func entryForm(
        _ entry: DirectoryEntry, _ session: ConsoleSession, _ directory: DirectoryAccess, problems: [String: [String]],
        why: String
    ) -> String {
        let schema = directory.store.schema
        let permissions = Permissions(session.user.roles)
        let editable =
            permissions.canEdit(country: entry.country, sectors: entry.fields["sector"] ?? [])
            || (entry.id.isEmpty && permissions.canEditDirectory)
        var keys = Set(entry.fields.keys)
        for (name, field) in schema.fields where field.kinds.contains(entry.kind) && field.localized != true {
            keys.insert(name)
        }
        for name in schema.kinds[entry.kind.rawValue]?.mandatory ?? []
        where schema.fields[name]?.localized == true && !keys.contains(where: { DirectorySchema.base($0) == name }) {
            keys.insert(name + ".en")
        }
        var fields = ""
        if let general = problems[""] {
            fields +=
                "<div class=\"problem\" role=\"alert\"><p>Nothing was changed:</p><ul>"
                + general.map { "<li>\(esc($0))</li>" }.joined() + "</ul></div>"
        } else if !problems.isEmpty {
            fields +=
                "<div class=\"problem\" role=\"alert\"><p>Nothing was changed: "
                + "\(problems.values.joined().count) problem(s), shown next to their fields.</p></div>"
        }
        fields += "<input type=\"hidden\" name=\"kind\" value=\"\(entry.kind.rawValue)\">"
        fields += Layout.input(
            "id", label: "Id", value: entry.id, error: problems["id"]?.joined(separator: "; "), required: true,
            hint: entry.kind == .institution ? "CC:INSTITUTION[:OFFICE[:EXTRA]]" : "the node id")
        for key in keys.sorted() {
            let field = schema.fields[DirectorySchema.base(key)]
            if field?.type == "certificate" {
                fields +=
                    "<p>\(esc(schema.label(field: key, language: "en"))): \((entry.fields[key] ?? []).count) "
                    + "certificate(s), kept as they are (change them with `sedgate directory set`).</p>"
                continue
            }
            var hint = field?.multiple == true ? "several values separated by |" : nil
            if let list = field?.codes, let codes = schema.codes[list] {
                hint =
                    (hint.map { $0 + "; " } ?? "") + "codes: " + codes.keys.sorted().prefix(30).joined(separator: ", ")
            }
            fields += Layout.input(
                "field." + key, label: "\(schema.label(field: key, language: "en")) (\(key))",
                value: (entry.fields[key] ?? []).joined(separator: " | "),
                error: problems[key]?.joined(separator: "; "), hint: hint)
        }
        fields += Layout.input("new-name", label: "Add a field: name", hint: "e.g. name.de, city.fr")
        fields += Layout.input("new-value", label: "Add a field: value")
        fields += Layout.input(
            "why", label: "Why (kept in the history)", value: why, error: problems["why"]?.joined(separator: "; "),
            required: true)
        guard editable else {
            return "<p>Your role does not allow changing this entry.</p>"
                + "<p><a href=\"/directory/history?id=\(urlEncode(entry.id))\">History of this entry</a></p>"
                + "<dl>"
                + entry.fields.sorted { $0.key < $1.key }.map {
                    "<dt>\(esc($0.key))</dt><dd>\(esc($0.value.joined(separator: " | ")))</dd>"
                }.joined() + "</dl>"
        }
        return "<form method=\"post\" action=\"/directory/entry\" novalidate>\(Layout.csrfField(session))\(fields)"
            + "<button type=\"submit\">Save</button></form>"
            + (entry.id.isEmpty
                ? "" : "<p><a href=\"/directory/history?id=\(urlEncode(entry.id))\">History of this entry</a></p>")
    }

    /// Checks and applies an entry from its form; on problems shows the form again with each next to its field.
    func saveEntry(_ form: [String: String], _ session: ConsoleSession, address: String) async throws -> Page {
        let directory = try directoryAccess()
        let permissions = Permissions(session.user.roles)
        guard permissions.canEditDirectory else {
            throw Refusal(target: form["id", default: ""], reason: "Your role does not allow changing the directory.")
        }
        let id = form["id", default: ""].trimmingCharacters(in: .whitespaces)
        let kind = EntryKind(rawValue: form["kind", default: "ci"]) ?? .institution
        let existing = id.isEmpty ? nil : try directory.store.entry(id)
        var entry = existing ?? DirectoryEntry(kind: kind, id: id)
        entry.kind = existing?.kind ?? kind
        for (name, value) in form where name.hasPrefix("field.") {
            let key = String(name.dropFirst("field.".count))
            if directory.store.schema.fields[DirectorySchema.base(key)]?.type == "certificate" { continue }
            let values = value.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            entry.fields[key] = values.isEmpty ? nil : values
        }
        let newName = form["new-name", default: ""].trimmingCharacters(in: .whitespaces)
        let newValue = form["new-value", default: ""].trimmingCharacters(in: .whitespaces)
        if !newName.isEmpty, !newValue.isEmpty {
            entry.fields[newName] = newValue.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let why = form["why", default: ""].trimmingCharacters(in: .whitespaces)
        var problems: [String: [String]] = [:]
        if why.isEmpty { problems["why", default: []].append("Say why: it is kept in the entry's history.") }
        // Who may change what: the user's roles (country, sector) before and after the change, and the node's countries.
        let sectorsBefore = existing?.fields["sector"] ?? []
        if let existing, !permissions.canEdit(country: existing.country, sectors: sectorsBefore) {
            throw Refusal(target: id, reason: "Your role does not allow changing \(existing.id).")
        }
        if !permissions.canEdit(country: entry.country, sectors: entry.fields["sector"] ?? []) {
            problems["id", default: []].append(
                "Your role does not allow an entry of country \(entry.country ?? "-") with these sectors.")
        }
        if let countries = directory.countries, let country = entry.country, !countries.contains(country) {
            problems["id", default: []].append(
                "This node maintains \(countries.sorted().joined(separator: ", ")) only.")
        }
        for found in try directory.store.problems([.set(entry)]) {
            problems[Self.fieldOf(found.problem, entry: entry), default: []].append(found.problem)
        }
        if problems.isEmpty {
            do throws(SedgateError) {
                let serial = try await directory.apply([.set(entry)], "console:\(session.user.name)", why)
                audit(session, address, "directory-set", entry.id, "done: serial \(serial) (\(why))")
                let body =
                    "<p><a href=\"/directory/entry?id=\(urlEncode(entry.id))\">Back to the entry</a> · "
                    + "<a href=\"/directory/history?id=\(urlEncode(entry.id))\">History</a></p>"
                return .html(
                    page(
                        "Entry \(entry.id) saved", session, "/directory", body,
                        notice: "\(entry.id) saved; directory serial \(serial). Every node receives the change."))
            } catch {
                problems["", default: []].append(error.message)
            }
        }
        audit(
            session, address, "directory-set", entry.id, "refused: " + problems.values.joined().joined(separator: "; "))
        return .html(
            page(
                "Entry \(entry.id.isEmpty ? "(new)" : entry.id)", session, "/directory",
                entryForm(entry, session, directory, problems: problems, why: why)),
            status: .unprocessableContent)
    }

    /// The field a schema problem is about (`field 'x'`, `mandatory field 'x'`), else the id or the whole form.
    static func fieldOf(_ problem: String, entry: DirectoryEntry) -> String {
        if let range = problem.range(of: "field '") {
            let rest = problem[range.upperBound...]
            if let end = rest.firstIndex(of: "'") {
                let key = String(rest[..<end])
                if entry.fields[key] != nil
                    || !key.contains(".") && !entry.fields.keys.contains(where: { $0.hasPrefix(key + ".") })
                {
                    return key
                }
                return entry.fields.keys.sorted().first { $0.hasPrefix(key + ".") } ?? key
            }
        }
        if problem.contains("id '") { return "id" }
        return ""
    }

    func entryHistory(_ request: Request, _ session: ConsoleSession) throws -> Page {
        let directory = try directoryAccess()
        let id = Self.query(request)["id", default: ""]
        let changes = try directory.store.history(id)
        var previous: [String: [String]] = [:]
        let rows = changes.map { change -> [String] in
            let fields = change.entry?.fields ?? [:]
            let changed = Set(fields.keys).union(previous.keys).filter { fields[$0] != previous[$0] }.sorted()
            let summary = changed.map { key in
                "\(key): \((previous[key] ?? []).joined(separator: " | ")) → \((fields[key] ?? []).joined(separator: " | "))"
            }.joined(separator: "; ")
            previous = change.operation == .delete ? [:] : fields
            return [String(change.serial), change.at, change.operation.rawValue, change.who, change.why, summary]
        }
        let body =
            "<p><a href=\"/directory/entry?id=\(urlEncode(id))\">The entry</a></p>"
            + Layout.table(
                caption: "Changes to \(id), oldest first",
                headers: ["Serial", "When (UTC)", "Change", "Who", "Why", "Fields"],
                rows: rows)
        return .html(page("History of \(id)", session, "/directory", body))
    }

    // MARK: - Bulk upload

    func uploadPage(_ session: ConsoleSession, report: String?, status: HTTPResponse.Status = .ok) throws -> Page {
        let directory = try directoryAccess()
        guard Permissions(session.user.roles).canEditDirectory else {
            throw Refusal(target: "directory", reason: "Your role does not allow changing the directory.")
        }
        let countries = directory.countries.map { $0.sorted().joined(separator: ", ") } ?? "any country"
        let body =
            (report ?? "")
            + "<p>A CSV or XML file of entries, as `sedgate directory import` takes (for \(esc(countries))). "
            + "Every line is checked; if any has a problem, nothing is applied.</p>"
            + "<form method=\"post\" action=\"/directory/upload\" enctype=\"multipart/form-data\">"
            + Layout.csrfField(session)
            + "<div class=\"field\"><label for=\"f-file\">File</label><input id=\"f-file\" name=\"file\" type=\"file\" "
            + "accept=\".csv,.xml,text/csv,application/xml\"></div>"
            + "<div class=\"field\"><label for=\"f-content\">Or paste its content</label>"
            + "<textarea id=\"f-content\" name=\"content\" rows=\"8\" cols=\"80\"></textarea></div>"
            + "<div class=\"field\"><label for=\"f-format\">Format</label><select id=\"f-format\" name=\"format\">"
            + "<option value=\"csv\">CSV</option><option value=\"xml\">XML</option></select></div>"
            + Layout.input("why", label: "Why (kept in the history)", required: true)
            + "<button type=\"submit\">Upload</button></form>"
        return .html(page("Bulk upload", session, "/directory", body), status: status)
    }

    func upload(_ form: [String: String], _ session: ConsoleSession, address: String) async throws -> Page {
        let directory = try directoryAccess()
        let permissions = Permissions(session.user.roles)
        guard permissions.canEditDirectory else {
            throw Refusal(target: "directory", reason: "Your role does not allow changing the directory.")
        }
        let file = form["file", default: ""]
        let text = file.isEmpty ? form["content", default: ""] : file
        let format: DirectoryFileFormat = form["format"] == "xml" || text.hasPrefix("<") ? .xml : .csv
        let why = form["why", default: ""].trimmingCharacters(in: .whitespaces)
        let contents = DirectoryFile.read(Array(text.utf8), format: format, source: "upload")
        var problems = contents.problems
        if why.isEmpty { problems.append((0, "say why (kept in the history)")) }
        for (line, entry) in contents.entries {
            if !permissions.canEdit(country: entry.country, sectors: entry.fields["sector"] ?? []) {
                problems.append((line, "\(entry.id): your role does not allow an entry of this country or sector"))
            }
            if let countries = directory.countries, !countries.contains(entry.country ?? "") {
                problems.append(
                    (line, "\(entry.id): this node maintains \(countries.sorted().joined(separator: ", ")) only"))
            }
        }
        let proposals = contents.entries.map { DirectoryProposal.set($0.entry) }
        if problems.isEmpty {
            problems = try directory.store.problems(proposals).map { (contents.entries[$0.index].line, $0.problem) }
        }
        var serial: Int64?
        if problems.isEmpty, !proposals.isEmpty {
            do throws(SedgateError) {
                serial = try await directory.apply(proposals, "console:\(session.user.name)", why)
            } catch {
                problems.append((0, error.message))
            }
        }
        let problemLines = Dictionary(grouping: problems, by: \.line)
        var rows = contents.entries.map { line, entry -> [String] in
            let found = problemLines[line]?.map(\.message) ?? []
            return [
                String(line), entry.id,
                found.isEmpty ? (serial == nil ? "fine" : "applied") : found.joined(separator: "; "),
            ]
        }
        for (line, found) in problemLines where !contents.entries.contains(where: { $0.line == line }) {
            rows.append([line == 0 ? "-" : String(line), "", found.map(\.message).joined(separator: "; ")])
        }
        rows.sort { (Int($0[0]) ?? 0) < (Int($1[0]) ?? 0) }
        let summary =
            serial.map { "\(proposals.count) entries applied; directory serial \($0). Every node receives them." }
            ?? "\(problems.count) problem(s); nothing was applied."
        audit(
            session, address, "directory-upload", "\(contents.entries.count) entries",
            (serial == nil ? "refused: " : "done: ") + summary)
        let report =
            "<div class=\"\(serial == nil ? "problem" : "notice")\" role=\"status\">\(esc(summary))</div>"
            + Layout.table(caption: "Line by line", headers: ["Line", "Entry", "Outcome"], rows: rows)
        return try uploadPage(session, report: report, status: serial == nil ? .unprocessableContent : .ok)
    }
}
