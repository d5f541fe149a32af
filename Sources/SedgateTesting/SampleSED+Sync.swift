// SampleSED+Sync: synchronous requests and replies (FS-46) for tests and benchmarks, and a responder that plays a
// destination's national side: it answers each request landed in inbound/ with a reply file in outbound/.

import Foundation
public import SedgateCore

extension SampleSED {
    /// A SYNC request from `sender` to `receiver`, with `DueDate` when given (an ISO 8601 time).
    public static func syncRequest(
        sedId: SEDID, sender: String = "BE:0001", receiver: String = "DK:0002", size: Int = 2_000, index: Int = 0,
        dueDate: String? = nil
    ) -> [UInt8] {
        var extra = ["Interaction": "SYNC"]
        if let dueDate { extra["DueDate"] = dueDate }
        return adding(extra, to: make(sedId: sedId, sender: sender, receiver: receiver, size: size, index: index))
    }

    /// The SYNC reply to `request`, from its receiver back to its sender.
    public static func syncReply(
        sedId: SEDID, to request: SEDID, sender: String = "DK:0002", receiver: String = "BE:0001",
        size: Int = 2_000, index: Int = 0
    ) -> [UInt8] {
        adding(
            ["Interaction": "SYNC", "InReplyTo": request.rawValue],
            to: make(sedId: sedId, sender: sender, receiver: receiver, size: size, index: index))
    }

    /// `sed` with `fields` added to its envelope (before `SedType`).
    public static func adding(_ fields: [String: String], to sed: [UInt8]) -> [UInt8] {
        let lines = fields.sorted { $0.key < $1.key }.map { "    <\($0.key)>\($0.value)</\($0.key)>\n" }.joined()
        let text = String(decoding: sed, as: UTF8.self)
        guard let range = text.range(of: "    <SedType>") else { return sed }
        return Array(text.replacingCharacters(in: range.lowerBound..<range.lowerBound, with: lines).utf8)
    }
}

/// A destination's national side that answers every SYNC request at once: each file landed in `inbound` (named by
/// the default template, ending in `{sedId}.xml`) is taken (removed) and answered by a reply committed by rename to
/// `outbound`.
public struct SyncResponder: Sendable {
    public let inbound: String
    public let outbound: String

    public init(inbound: String, outbound: String) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Answers the requests in inbound/ now; returns the ids answered, each with its reply's id.
    @discardableResult
    public func answerWaiting() throws -> [(request: SEDID, reply: SEDID)] {
        var answered: [(request: SEDID, reply: SEDID)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: inbound).sorted() where name.hasSuffix(".xml") {
            guard let request = SEDID(String(name.dropLast(4).suffix(36))) else { continue }
            let reply = SEDID.random()
            let hidden = "\(outbound)/.reply-\(reply).xml"
            try Data(SampleSED.syncReply(sedId: reply, to: request)).write(to: URL(fileURLWithPath: hidden))
            guard rename(hidden, "\(outbound)/reply-\(reply).xml") == 0 else {
                throw SedgateError(.io, "cannot commit the reply to \(request) in \(outbound)")
            }
            try FileManager.default.removeItem(atPath: "\(inbound)/\(name)")
            answered.append((request, reply))
        }
        return answered
    }

    /// Answers every request as it lands, until cancelled.
    public func run(every interval: Duration = .milliseconds(2)) async {
        while !Task.isCancelled {
            _ = try? answerWaiting()
            try? await Task.sleep(for: interval)
        }
    }
}
