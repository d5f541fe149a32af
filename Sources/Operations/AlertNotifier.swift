// AlertNotifier: sends one alert notice (firing, escalated, resolved) to every configured channel: the command
// hook (argv, the alert as JSON on its standard input), the webhook (POST of the same JSON), and e-mail through
// the SMTP relay. Each delivery's outcome is kept in the alert database; a failed channel never blocks the others.

import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import NIOHTTP1
import SedgateCore

/// Delivers alert notices.
struct AlertNotifier: Sendable {
    let rules: AlertRules
    let node: NodeID
    let store: AlertStore
    let logger: Logger

    /// The notice as JSON (what the hook reads and the webhook receives).
    static func json(_ alert: AlertRecord, kind: String, node: NodeID, at: String) -> String {
        let json = SedgateLogHandler.json
        return "{\"id\":\(alert.id),\"node\":\(json(node.rawValue)),\"rule\":\(json(alert.rule)),"
            + "\"subject\":\(json(alert.subject)),\"state\":\(json(kind)),\"detail\":\(json(alert.detail)),"
            + "\"openedAt\":\(json(alert.openedAt)),\"at\":\(json(at))}\n"
    }

    func send(_ alert: AlertRecord, kind: String, at: String) async {
        let body = Self.json(alert, kind: kind, node: node, at: at)
        if !rules.command.isEmpty {
            await deliver(alert, kind, "command") { () async throws in
                try await Self.runHook(rules.command, input: body)
            }
        }
        if let webhook = rules.webhook {
            await deliver(alert, kind, "webhook") { () async throws in
                var request = HTTPClientRequest(url: webhook)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                guard (200..<300).contains(response.status.code) else {
                    throw SedgateError(.peerUnavailable, "the webhook answered \(response.status.code)")
                }
            }
        }
        if let smtp = rules.smtp {
            let recipients = rules.mailTo + (kind == "escalated" ? rules.escalateTo : [])
            let subject = "[sedgate \(node)] \(kind): \(alert.rule) \(alert.subject)"
            let text =
                "\(alert.detail)\n\nNode: \(node)\nRule: \(alert.rule)\nSubject: \(alert.subject)\n"
                + "State: \(kind)\nOpened: \(alert.openedAt)\nAt: \(at)\n\n\(body)"
            let from = rules.mailFrom
            await deliver(alert, kind, "mail") { () async throws in
                try await SMTPClient.send(
                    host: smtp.host, port: smtp.port, from: from, to: recipients, subject: subject, body: text)
            }
        }
    }

    private func deliver(
        _ alert: AlertRecord, _ kind: String, _ channel: String, _ body: @Sendable () async throws -> Void
    ) async {
        var outcome = "sent"
        do {
            try await body()
        } catch {
            outcome = "failed: \(error)"
            logger.error(
                "cannot deliver an alert",
                metadata: ["channel": "\(channel)", "alert": "\(alert.id)", "error": "\(error)"])
        }
        try? await store.update(
            "INSERT INTO notification (alertId, kind, channel, at, outcome) VALUES (?, ?, ?, ?, ?)",
            [alert.id, kind, channel, Timestamp.now(), outcome])
    }

    /// Runs `argv` with `input` on its standard input; throws unless it exits 0 within 60 s.
    static func runHook(_ argv: [String], input: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try pipe.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try pipe.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw SedgateError(.io, "the alert command \(argv[0]) ran longer than 60 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard process.terminationStatus == 0 else {
            throw SedgateError(.io, "the alert command \(argv[0]) exited with status \(process.terminationStatus)")
        }
    }
}
