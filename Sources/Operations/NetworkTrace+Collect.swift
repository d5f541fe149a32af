// NetworkTrace+Collect: one SED's facts from this node and every operator peer, as values (for the console's page
// of one SED), with the peers that did not answer.

public import SedgateCore

extension NetworkTrace {
    /// This node's `history` with what each of `peers` (node id → operator URL) answers, in time order.
    public static func collect(
        _ sedId: SEDID, node: NodeID, history: [HistoryEvent], peers: [String: String]
    ) async -> (lines: [TraceLine], silent: [String]) {
        var lines = history.map {
            TraceLine(
                node: node.rawValue, at: $0.at, direction: $0.direction.rawValue, state: $0.state.rawValue,
                detail: $0.detail)
        }
        var silent: [String] = []
        for (peer, url) in peers.sorted(by: { $0.key < $1.key }) {
            do {
                lines += try await fetch(url: url, sedId: sedId)
            } catch {
                silent.append("\(peer) (\(url)): \(error)")
            }
        }
        let sorted = lines.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
        return (sorted.map(\.element), silent)
    }
}
