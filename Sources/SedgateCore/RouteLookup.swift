// RouteLookup: the one question delivery asks of routing (which access point serves this address), so that the
// sender, the CN's forwarder and intake need not know whether the answer comes from `[routes]` or the directory.

/// Answers which access point serves an institution address; the most specific entry wins.
public protocol RouteLookup: Sendable {
    /// The access point serving `address`, or nil when none is known.
    func destination(for address: Address) -> NodeID?
}

extension RoutingTable: RouteLookup {}

/// `[routes]` as a local override in front of another lookup (the directory): an address the override knows
/// goes where it says; any other goes where the directory says.
public struct LayeredRoutes: RouteLookup {
    /// The explicit local entries (`[routes]`), asked first.
    public let override: any RouteLookup
    /// Asked when the override has no entry.
    public let fallback: any RouteLookup

    /// Layers `override` over `fallback`.
    public init(override: any RouteLookup, fallback: any RouteLookup) {
        self.override = override
        self.fallback = fallback
    }

    public func destination(for address: Address) -> NodeID? {
        override.destination(for: address) ?? fallback.destination(for: address)
    }
}
