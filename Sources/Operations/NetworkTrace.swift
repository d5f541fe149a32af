// NetworkTrace: `sedgate trace <sedId> --network`: this node's history of a SED merged with what every node of
// `[operator-peers]` answers on its operator port (`/trace/<sedId>`), in time order, with the time each fact took
// after the one before it (the hop latencies).

import AsyncHTTPClient
import ConfigurationFile
import Foundation
import NIOCore
import NIOHTTP1
public import SedgateCore

/// Collects and prints one SED's history across the network.
public enum NetworkTrace {
    /// Prints the merged history; throws `ExitCode`-worthy errors as `SedgateError`.
    public static func run(_ sedId: SEDID, node: NodeID, history: [HistoryEvent], config: String) async throws {
        let settings = try OperationsSettings.load(ConfigFile(path: config))
        var lines = history.map {
            TraceLine(
                node: node.rawValue, at: $0.at, direction: $0.direction.rawValue, state: $0.state.rawValue,
                detail: $0.detail)
        }
        var silent: [String] = []
        for (peer, url) in settings.operatorPeers.sorted(by: { $0.key < $1.key }) {
            do {
                lines += try await fetch(url: url, sedId: sedId)
            } catch {
                silent.append("\(peer) (\(url)): \(error)")
            }
        }
        print(render(sedId, lines), terminator: "")
        for line in silent { print("no answer from \(line)") }
        if lines.isEmpty { throw SedgateError(.notFound, "no node has a record of SED \(sedId)") }
    }

    static func fetch(url: String, sedId: SEDID) async throws -> [TraceLine] {
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "\(base)/trace/\(sedId)"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else {
            throw SedgateError(.peerUnavailable, "answered \(response.status.code)")
        }
        return try JSONDecoder().decode([TraceLine].self, from: Data(body.readableBytesView))
    }

    /// The facts in time order, each with the milliseconds since the one before.
    public static func render(_ sedId: SEDID, _ lines: [TraceLine]) -> String {
        let sorted = lines.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(
            \.element)
        let nodes = Set(sorted.map(\.node)).sorted()
        var text =
            "SED \(sedId) on \(nodes.count) node\(nodes.count == 1 ? "" : "s"): \(nodes.joined(separator: ", "))\n"
        var previous: Date?
        for line in sorted {
            let at = Timestamp.parse(line.at)
            let step = zip(previous, at).map { "+\(Int((($1.timeIntervalSince($0)) * 1_000).rounded())) ms" } ?? ""
            previous = at ?? previous
            let cells = [line.at, line.node, line.direction, line.state, step]
            let widths = [26, 10, 7, 11, 12]
            text += zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined()
            text += SedgateLogHandler.escape(line.detail ?? "") + "\n"
        }
        return text
    }
}

private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
