// ConsolePages+Dashboard: the dashboard (traffic per hour and per partner as SVG charts, queue shape by destination
// and age, open alerts, peers, certificate expiry, disk), the statistics page with its CSV and XML downloads, and
// the audit trail.

import Foundation
import Hummingbird
import Operations
import SedgateCore
import Spool

extension Console {
    func dashboard(_ session: ConsoleSession, notice: String? = nil) async throws -> Page {
        let journal = node.journal
        let context = node.context
        var sections: [String] = []

        let hourly = try await Traffic.perHour(journal)
        let series = [("out", "sent", "bar-out"), ("relay", "relayed", "bar-relay"), ("in", "received", "bar-in")]
            .filter { hourly.counts[$0.0] != nil || $0.0 == (context.role == "cn" ? "relay" : "out") }
            .map { ChartSeries(name: $0.1, style: $0.2, values: hourly.counts[$0.0] ?? []) }
        sections.append(
            "<section aria-labelledby=\"h-hour\"><h2 id=\"h-hour\">Traffic per hour (last 24 hours, UTC)</h2>"
                + Charts.bars(title: "SEDs per hour", axis: "Hour", labels: hourly.labels, series: series, id: "hourly")
                + "</section>")

        let partners = try await Traffic.perPartner(journal)
        let directions = [("out", "sent", "bar-out"), ("relay", "relayed", "bar-relay"), ("in", "received", "bar-in")]
            .filter { direction in partners.contains { $0.counts[direction.0] != nil } }
        sections.append(
            "<section aria-labelledby=\"h-partner\"><h2 id=\"h-partner\">Traffic per partner</h2>"
                + (partners.isEmpty
                    ? "<p>No SED in the journal yet.</p>"
                    : Charts.bars(
                        title: "SEDs per partner node", axis: "Partner", labels: partners.map(\.peer),
                        series: directions.map { direction in
                            ChartSeries(
                                name: direction.1, style: direction.2,
                                values: partners.map { $0.counts[direction.0] ?? 0 })
                        }, id: "partners")) + "</section>")

        let shape = try await QueueShape.read(journal)
        let headers = ["Destination", "Total"] + QueueShape.buckets.map { "< \($0) min" } + ["older"]
        var totals = Array(repeating: 0, count: QueueShape.buckets.count + 2)
        for row in shape.rows { for (index, count) in row.counts.enumerated() { totals[index] += count } }
        let rows =
            [["all"] + totals.map(String.init)] + shape.rows.map { [$0.destination] + $0.counts.map(String.init) }
        sections.append(
            "<section aria-labelledby=\"h-queue\"><h2 id=\"h-queue\">Queue by destination and age</h2>"
                + Layout.table(caption: "SEDs waiting, by how long they have waited", headers: headers, rows: rows)
                + (Permissions(session.user.roles).canOperate
                    ? "<form method=\"post\" action=\"/queue/retry\">\(Layout.csrfField(session))"
                        + "<button type=\"submit\">Retry everything that waits, now</button></form>" : "")
                + "</section>")

        var alertRows: [[String]] = []
        if let store = try? AlertStore(path: context.alertsPath), let open = try? await store.alerts(open: true) {
            alertRows = open.map { [$0.rule, $0.subject, $0.detail, $0.openedAt, $0.ackedAt ?? "not yet"] }
        }
        sections.append(
            "<section aria-labelledby=\"h-alerts\"><h2 id=\"h-alerts\">Open alerts</h2>"
                + Layout.table(
                    caption: "Open alerts", headers: ["Rule", "Subject", "Detail", "Opened", "Acknowledged"],
                    rows: alertRows) + "</section>")

        let peerFacts = try await Traffic.peers(journal)
        var peerRows: [[String]] = []
        for (peer, url) in context.peers.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let facts = peerFacts.first { $0.peer == peer.rawValue }
            peerRows.append([
                peer.rawValue, url, String(facts?.waiting ?? 0), facts?.oldest ?? "", facts?.error ?? "",
            ])
        }
        for facts in peerFacts where !context.peers.keys.contains(where: { $0.rawValue == facts.peer }) {
            peerRows.append([facts.peer, "", String(facts.waiting), facts.oldest, facts.error])
        }
        sections.append(
            "<section aria-labelledby=\"h-peers\"><h2 id=\"h-peers\">Peers</h2>"
                + Layout.table(
                    caption: "Peers: what waits for each, and the last error seen",
                    headers: ["Peer", "Address", "Waiting", "Waiting since", "Last error"], rows: peerRows)
                + "</section>")

        let expiry = Certificate.notAfter(pemFile: context.certificatePath)
        let days = expiry.map { Int($0.timeIntervalSinceNow / 86_400) }
        let free = FreeSpace.bytes(at: context.spoolRoot)
        sections.append(
            "<section aria-labelledby=\"h-node\"><h2 id=\"h-node\">Certificate and disk</h2><dl>"
                + "<dt>Certificate</dt><dd>\(esc(context.certificatePath))</dd>"
                + "<dt>Expires</dt><dd>"
                + (expiry.map { "\(esc(Timestamp.iso8601($0))) (in \(days ?? 0) days)" } ?? "cannot be read")
                + "</dd><dt>Disk free under the spool</dt><dd>\(free >= 0 ? "\(free >> 20) MiB" : "unknown")</dd>"
                + "</dl></section>")
        return .html(page("Dashboard", session, "/dashboard", sections.joined(separator: "\n"), notice: notice))
    }

    // MARK: - Statistics

    func statistics(_ request: Request, _ session: ConsoleSession, address: String) async throws -> Page {
        let values = Self.query(request)
        let from = values["from", default: ""]
        let to = values["to", default: ""]
        let by = values["by", default: "day"].split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        let format = values["format", default: "html"]
        var problem: String?
        var table: StatisticsTable?
        do {
            let dimensions = try StatisticsStore.dimensions(by)
            let store = try StatisticsStore(path: node.context.statisticsPath)
            _ = try await store.harvest(node.journal)
            table = try await store.query(
                from: from.isEmpty ? nil : from, to: to.isEmpty ? nil : (to.count == 10 ? to + "T24" : to),
                by: dimensions)
        } catch {
            problem = error.message
        }
        if let table, format == "csv" || format == "xml" {
            audit(
                session, address, "statistics-download", "by=\(by.joined(separator: ",")) from=\(from) to=\(to)", format
            )
            return .download(
                table.render(format), contentType: format == "csv" ? "text/csv; charset=utf-8" : "application/xml",
                fileName: "statistics-\(nodeName).\(format)")
        }
        let query = "from=\(urlEncode(from))&to=\(urlEncode(to))&by=\(urlEncode(by.joined(separator: ",")))"
        let body =
            "<form class=\"search\" method=\"get\" action=\"/statistics\">"
            + Layout.input("from", label: "From (day or time, UTC)", value: from, hint: "e.g. 2026-12-01")
            + Layout.input("to", label: "To (day or time, UTC)", value: to)
            + Layout.input(
                "by", label: "Group by", value: by.joined(separator: ","),
                hint: "day, hour, country, sector, buc, sed-type, ap, state (comma-separated)")
            + "<button type=\"submit\">Show</button></form>"
            + (problem.map { "<div class=\"problem\" role=\"alert\">\(esc($0))</div>" } ?? "")
            + "<p class=\"actions\"><a href=\"/statistics?\(query)&amp;format=csv\" download>Download CSV</a>"
            + "<a href=\"/statistics?\(query)&amp;format=xml\" download>Download XML</a></p>"
            + Layout.table(
                caption: "SEDs, bytes and hop latencies", headers: table?.columns ?? [], rows: table?.rows ?? [])
        return .html(page("Statistics", session, "/statistics", body))
    }

    // MARK: - Audit

    func auditPage(_ request: Request, _ session: ConsoleSession) throws -> Page {
        guard Permissions(session.user.roles).canAudit else {
            throw Refusal(target: "/audit", reason: "Only an administrator reads the audit trail.")
        }
        let values = Self.query(request)
        let entries = try node.users.auditTrail(user: values["user"], action: values["action"], limit: 500)
        let body =
            "<form class=\"search\" method=\"get\" action=\"/audit\">"
            + Layout.input("user", label: "User", value: values["user", default: ""])
            + Layout.input("action", label: "Action", value: values["action", default: ""])
            + "<button type=\"submit\">Filter</button></form>"
            + Layout.table(
                caption: "Audit trail, newest first",
                headers: ["When (UTC)", "Who", "From", "Action", "Target", "Outcome"],
                rows: entries.map { [$0.at, $0.user, $0.address, $0.action, $0.target, $0.outcome] })
        return .html(page("Audit trail", session, "/audit", body))
    }
}
