// ConsolePages+Messages: the search of SEDs, one SED's page (its records here, its trace across the network, the
// actions its state and the user's role allow), the confirmation step before each action, and the action itself,
// run by the same code as `sedgate queue ...` and audited.

import Foundation
import Hummingbird
import Operations
import SedgateCore
import Store

/// The actions an operator takes on one SED: name, button label, and the states it applies to (any direction).
enum QueueAction: String, CaseIterable {
    case hold, release, expire, forward, reject, `return`

    var label: String {
        switch self {
        case .hold: return "Hold"
        case .release: return "Release"
        case .expire: return "Expire"
        case .forward: return "Route by hand"
        case .reject: return "Reject"
        case .return: return "Return to sender"
        }
    }

    /// What the confirmation page says will happen.
    var consequence: String {
        switch self {
        case .hold: return "The SED stays on this node, not sent or forwarded, until it is released."
        case .release: return "The SED goes back in its queue and is sent on within a second."
        case .expire: return "The SED fails here and its sender is told. This cannot be undone."
        case .forward: return "The SED in manual/ is handed to the channel you name."
        case .reject: return "The SED in manual/ moves to rejected/ with your reason; its sender is not told."
        case .return: return "A failed receipt with your reason goes back to the sender."
        }
    }

    /// Whether the action applies to a record in `state` (and, for manual routing, waiting in manual/).
    func applies(to record: MessageRecord, inManual: Bool) -> Bool {
        switch self {
        case .hold: return [.accepted, .stored].contains(record.state) && record.direction != .inbound
        case .release:
            return (record.state == .held && record.direction != .inbound)
                || (record.direction == .inbound && record.state == .waiting)
        case .expire: return [.accepted, .stored, .held].contains(record.state) && record.direction != .inbound
        case .forward, .reject, .return: return inManual && record.direction == .inbound
        }
    }

    var needsReason: Bool { self == .reject || self == .return }
}

extension Console {
    func messages(_ request: Request, _ session: ConsoleSession) async throws -> Page {
        let values = Self.query(request)
        let query = MessageQuery(values)
        let searched = !values.isEmpty
        let records = searched ? try await query.run(node.journal) : []
        let states = [""] + SEDState.allCases.map(\.rawValue)
        let stateOptions = states.map {
            "<option value=\"\($0)\"\($0 == query.state ? " selected" : "")>\($0.isEmpty ? "any" : $0)</option>"
        }.joined()
        var body =
            "<form class=\"search\" method=\"get\" action=\"/messages\" role=\"search\" aria-label=\"Find SEDs\">"
            + Layout.input("sed", label: "SED id", value: query.sedId)
            + Layout.input("case", label: "Case", value: query.caseId)
            + Layout.input("sender", label: "Sender", value: query.sender, hint: "address or its start, e.g. BE:")
            + Layout.input("receiver", label: "Receiver", value: query.receiver)
            + Layout.input("type", label: "SED type", value: query.sedType)
            + "<div class=\"field\"><label for=\"f-state\">State</label><select id=\"f-state\" name=\"state\">"
            + stateOptions + "</select></div>"
            + Layout.input("from", label: "From (UTC)", value: query.from, hint: "day or time")
            + Layout.input("to", label: "To (UTC)", value: query.to)
            + "<button type=\"submit\">Search</button></form>"
        if searched {
            let rows = records.map { record -> [String] in
                let envelope = record.envelope
                return [
                    "<a href=\"/messages/\(record.sedId)\">\(esc(record.sedId.rawValue))</a>",
                    esc(record.direction.rawValue), esc(record.state.rawValue), esc(envelope.caseId),
                    esc("\(envelope.sender)"), esc("\(envelope.receiver)"), esc(envelope.sedType),
                    esc(record.peer.rawValue), esc(record.createdAt),
                ]
            }
            body +=
                "<p role=\"status\">\(records.count) SED\(records.count == 1 ? "" : "s") found"
                + (records.count == query.limit ? " (the newest \(query.limit); narrow the search)" : "") + ".</p>"
                + Layout.table(
                    caption: "SEDs found, newest first",
                    headers: ["SED id", "Direction", "State", "Case", "Sender", "Receiver", "Type", "Peer", "Since"],
                    rows: rows, raw: true)
        }
        if let manual = node.queue.manual, let waiting = try? await manual(), !waiting.isEmpty {
            body +=
                "<h2>Waiting in manual/</h2>"
                + Layout.table(
                    caption: "SEDs no inbound route matched", headers: ["SED id", "Since", "File"],
                    rows: waiting.map {
                        [
                            "<a href=\"/messages/\($0.sedId)\">\(esc($0.sedId.rawValue))</a>", esc($0.since),
                            esc($0.file),
                        ]
                    }, raw: true)
        }
        return .html(page("Messages", session, "/messages", body))
    }

    /// Whether the SED waits in manual/ (AP only).
    func inManual(_ id: SEDID) async -> Bool {
        guard let manual = node.queue.manual, let waiting = try? await manual() else { return false }
        return waiting.contains { $0.sedId == id }
    }

    func message(_ text: String, _ session: ConsoleSession, notice: String?) async throws -> Page {
        guard let id = SEDID(text) else {
            return .html(
                page("No such SED", session, "/messages", "<p>'\(esc(text))' is not a SED id.</p>"), status: .notFound)
        }
        let records = try await MessageQuery.records(id, journal: node.journal)
        let history = (try? await node.journal.history(id)) ?? []
        let trace = await NetworkTrace.collect(
            id, node: node.context.node, history: history, peers: node.operatorPeers)
        let manual = await inManual(id)
        let permissions = Permissions(session.user.roles)
        var body = ""
        if records.isEmpty { body += "<p>This node has no record of SED \(esc(id.rawValue)).</p>" }
        for record in records {
            let envelope = record.envelope
            body +=
                "<section aria-label=\"\(esc(record.direction.rawValue)) record\"><h2>\(esc(record.direction.rawValue)): "
                + "\(esc(record.state.rawValue))</h2><dl>"
                + [
                    ("Case", envelope.caseId), ("SED type", envelope.sedType), ("BUC", envelope.bucType),
                    ("Sector", envelope.sector), ("Sender", "\(envelope.sender)"),
                    ("Receiver", "\(envelope.receiver)"), ("Peer", record.peer.rawValue),
                    ("Origin", record.origin.rawValue), ("File", record.file ?? ""), ("Size", "\(record.size) bytes"),
                    ("Attempts", "\(record.attempts)"), ("Last error", record.lastError ?? ""),
                    ("Since", record.createdAt), ("Updated", record.updatedAt),
                ].map { "<dt>\(esc($0.0))</dt><dd>\(esc($0.1))</dd>" }.joined() + "</dl>"
            if permissions.canOperate {
                let actions = QueueAction.allCases.filter { $0.applies(to: record, inManual: manual) }
                if !actions.isEmpty {
                    body +=
                        "<div class=\"actions\">"
                        + actions.map {
                            "<a class=\"button\" href=\"/messages/\(id)/confirm?action=\($0.rawValue)\">\($0.label)</a>"
                        }.joined(separator: " ") + "</div>"
                }
            }
            body += "</section>"
        }
        let traceRows = trace.lines.map { [$0.at, $0.node, $0.direction, $0.state, $0.detail ?? ""] }
        body +=
            "<h2>Trace across the network</h2>"
            + Layout.table(
                caption: "What every node knows of this SED, in time order",
                headers: ["When (UTC)", "Node", "Direction", "State", "Detail"], rows: traceRows)
            + (trace.silent.isEmpty
                ? "" : "<p>No answer from: " + trace.silent.map(esc).joined(separator: "; ") + "</p>")
        return .html(page("SED \(id)", session, "/messages", body, notice: notice))
    }

    /// The confirmation step: what the action does, and the form that does it.
    func confirm(_ text: String, _ request: Request, _ session: ConsoleSession) async throws -> Page {
        guard let id = SEDID(text), let action = QueueAction(rawValue: Self.query(request)["action"] ?? "") else {
            return .html(
                page("Unknown action", session, "/messages", "<p>No such SED or action.</p>"), status: .notFound)
        }
        guard Permissions(session.user.roles).canOperate else {
            throw Refusal(target: id.rawValue, reason: "Your role does not allow changing the queue.")
        }
        var fields = ""
        if action == .forward {
            fields += Layout.input(
                "to", label: "Channel", value: "inbound", required: true, hint: "inbound or inbound/<folder>")
        }
        if action.needsReason { fields += Layout.input("reason", label: "Reason", required: true) }
        let body =
            "<p>\(esc(action.consequence))</p>"
            + "<form method=\"post\" action=\"/messages/\(id)/act\">\(Layout.csrfField(session))"
            + "<input type=\"hidden\" name=\"action\" value=\"\(action.rawValue)\">" + fields
            + "<input type=\"hidden\" name=\"confirm\" value=\"yes\">"
            + "<div class=\"actions\"><button type=\"submit\"\(action == .expire ? " class=\"danger\"" : "")>"
            + "\(action.label) SED \(esc(id.rawValue))</button> <a href=\"/messages/\(id)\">Cancel</a></div></form>"
        return .html(page("\(action.label): confirm", session, "/messages", body))
    }

    /// Runs a confirmed action and audits it.
    func act(_ text: String, _ form: [String: String], _ session: ConsoleSession, address: String) async throws -> Page
    {
        guard let id = SEDID(text), let action = QueueAction(rawValue: form["action"] ?? "") else {
            return .html(
                page("Unknown action", session, "/messages", "<p>No such SED or action.</p>"), status: .notFound)
        }
        guard Permissions(session.user.roles).canOperate else {
            throw Refusal(target: id.rawValue, reason: "Your role does not allow changing the queue.")
        }
        guard form["confirm"] == "yes" else { return .redirect("/messages/\(id)/confirm?action=\(action.rawValue)") }
        let queue = node.queue
        let reason = form["reason", default: ""].trimmingCharacters(in: .whitespaces)
        var answer: String
        do throws(SedgateError) {
            switch action {
            case .hold: answer = try await queue.hold(id)
            case .release: answer = try await queue.release(id)
            case .expire: answer = try await queue.expire(id)
            case .forward:
                guard let forward = queue.forward else {
                    throw SedgateError(.notFound, "manual routing is an access point's")
                }
                answer = try await forward(id, form["to", default: "inbound"])
            case .reject, .return:
                guard !reason.isEmpty else { throw SedgateError(.configuration, "say why, in a sentence") }
                guard let run = action == .reject ? queue.reject : queue.returnToSender else {
                    throw SedgateError(.notFound, "manual routing is an access point's")
                }
                answer = try await run(id, reason)
            }
            audit(
                session, address, action.rawValue, id.rawValue,
                "done: \(answer)" + (reason.isEmpty ? "" : " (\(reason))"))
        } catch {
            answer = "Not done: \(error.message)"
            audit(session, address, action.rawValue, id.rawValue, "failed: \(error.message)")
        }
        return try await message(id.rawValue, session, notice: answer)
    }

    /// Wakes the senders: everything that waits is retried now.
    func retryAll(_ form: [String: String], _ session: ConsoleSession, address: String) async throws -> Page {
        guard Permissions(session.user.roles).canOperate else {
            throw Refusal(target: "queue", reason: "Your role does not allow changing the queue.")
        }
        let answer: String
        do throws(SedgateError) {
            answer = try await node.queue.retry()
            audit(session, address, "retry", "queue", "done: \(answer)")
        } catch {
            answer = "Not done: \(error.message)"
            audit(session, address, "retry", "queue", "failed: \(error.message)")
        }
        return try await dashboard(session, notice: answer)
    }
}
