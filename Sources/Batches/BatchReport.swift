// BatchReport: the status file of a whole batch, `reports/<batch>.<state>.json`, and the rule deciding which batch
// states are due. Writes reports/ atomically; the rule is a pure function.

import Foundation
public import SedgateCore
import Spool

/// One batch in one state: how many of its SEDs reached each state, and each SED's id and state.
///
/// Written beside the per-SED reports, once per state: `accepted` when every SED is journalled; `sent` when every
/// SED is stored at the CN (or failed); then `delivered` when every SED is at its destination, or `failed` when
/// every SED is delivered or failed and at least one failed; `rejected` when the batch was refused whole (then
/// `problems` names each bad file).
public struct BatchReport: Codable, Sendable, Hashable {
    /// One SED of the batch.
    public struct Item: Codable, Sendable, Hashable {
        public var file: String
        public var sedId: String
        public var state: SEDState
        public var reason: String?

        public init(file: String, sedId: String, state: SEDState, reason: String? = nil) {
            self.file = file
            self.sedId = sedId
            self.state = state
            self.reason = reason
        }
    }

    /// One bad file of a refused batch.
    public struct Problem: Codable, Sendable, Hashable {
        public var file: String
        public var code: String
        public var reason: String
    }

    /// How many SEDs reached at least each state (`failed`: how many failed).
    public struct Counts: Codable, Sendable, Hashable {
        public var files = 0
        public var accepted = 0
        public var sent = 0
        public var delivered = 0
        public var routed = 0
        public var failed = 0
    }

    public var batch: String
    public var state: SEDState
    public var at: String
    public var node: String
    public var counts: Counts
    public var seds: [Item]
    public var code: String?
    public var reason: String?
    public var problems: [Problem]?

    /// A report of the batch's SEDs as they stand.
    public init(batch: String, state: SEDState, node: String, seds: [Item], at: String = Timestamp.iso8601()) {
        self.batch = batch
        self.state = state
        self.at = at
        self.node = node
        self.seds = seds
        var counts = Counts()
        counts.files = seds.count
        for item in seds {
            let rank = Self.rank(item.state)
            if item.state == .failed { counts.failed += 1 }
            if rank >= 0 { counts.accepted += 1 }
            if rank >= 1 { counts.sent += 1 }
            if rank >= 2 { counts.delivered += 1 }
            if rank >= 3 { counts.routed += 1 }
        }
        self.counts = counts
    }

    /// The report of a batch refused whole.
    public init(batch: String, node: String, error: SedgateError, problems: [BatchProblem], files: Int) {
        self.init(batch: batch, state: .rejected, node: node, seds: [])
        counts.files = files
        code = error.code.name
        reason = error.message
        self.problems = problems.map { Problem(file: $0.name, code: $0.error.code.name, reason: $0.error.message) }
    }

    /// How far along a state is: accepted 0, sent 1, delivered 2, routed 3; -1 for the others (failed, held...).
    static func rank(_ state: SEDState) -> Int {
        switch state {
        case .accepted: 0
        case .sent: 1
        case .delivered: 2
        case .routed: 3
        default: state == .held ? 0 : -1
        }
    }

    /// The batch states now due, in order, given each SED's state (nil: not journalled yet) and those reported.
    public static func due(_ states: [SEDState?], reported: [SEDState]) -> [SEDState] {
        guard !states.isEmpty, states.allSatisfy({ $0 != nil }) else { return [] }
        let known = states.compactMap { $0 }
        let failed = known.contains(.failed)
        let live = known.filter { $0 != .failed }
        var due: [SEDState] = [.accepted]
        if !live.isEmpty, live.allSatisfy({ rank($0) >= 1 }) { due.append(.sent) }
        if live.allSatisfy({ rank($0) >= 2 }) { due.append(failed ? .failed : .delivered) }
        return due.filter { !reported.contains($0) }
    }

    /// Whether the batch is finished once `state` is reported: nothing more will be written for it.
    public static func isFinal(_ state: SEDState) -> Bool { state == .delivered || state == .failed }

    /// The file name: `<batch>.<state>.json`, the batch name with `/` as `__`.
    public var fileName: String {
        let flat = batch.replacingOccurrences(of: "/", with: "__")
        return String(flat.prefix(200)) + ".\(state.rawValue).json"
    }

    /// Writes the report to `reports/` atomically and durably, unless one of that name is already there (a batch
    /// report, once written, never changes). Returns whether it wrote.
    @discardableResult
    public func write(to reports: String) throws(SedgateError) -> Bool {
        let path = reports + "/" + fileName
        if FileManager.default.fileExists(atPath: path) { return false }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(self)
        } catch {
            throw SedgateError(.io, "cannot encode the report of batch \(batch): \(error)", cause: error)
        }
        try SpoolFile.writeAtomically(Array(data) + [UInt8(ascii: "\n")], to: path)
        return true
    }
}
