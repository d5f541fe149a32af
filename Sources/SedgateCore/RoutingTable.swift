// RoutingTable: which access point serves a receiving institution. The most specific entry wins:
// `DK:0002:OFFICE` before `DK:0002` before `DK`. Access points seal each SED for the AP it names; the CN
// checks that it agrees.

/// Maps institution addresses (or prefixes of them) to the access point that serves them.
public struct RoutingTable: Sendable, Hashable {
    /// Each key is a country code or an address prefix (`DK`, `DK:0002`, `DK:0002:AALBORG`).
    public private(set) var entries: [String: NodeID]

    /// Builds a table; a key that is neither a country code nor an address is refused.
    public init(_ entries: [String: NodeID]) throws(SedgateError) {
        for key in entries.keys {
            let isCountry = key.utf8.count == 2 && key.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
            guard isCountry || Address(key) != nil else {
                throw SedgateError(
                    .configuration,
                    "routing key '\(key)' is neither a country code (DK) nor an address (DK:0002[:OFFICE])")
            }
        }
        self.entries = entries
    }

    /// The access point serving `address`, by the most specific matching entry.
    public func destination(for address: Address) -> NodeID? {
        let parts = [address.country, address.institution, address.office, address.extra].compactMap { $0 }
        for length in stride(from: parts.count, through: 1, by: -1) {
            if let node = entries[parts.prefix(length).joined(separator: ":")] { return node }
        }
        return nil
    }
}
