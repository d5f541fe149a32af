// ClusterLeases: which destinations this CN process forwards to now. A destination (an access point) is taken
// under a lease in `cn_lease` (holder, until): one process at a time reads its queue and sends to it, in journal
// order, so its SEDs are never sent by two processes at once and a conversation keeps its order. The holder
// renews its leases while it uses them; a killed process's leases run out after `[cluster] lease-ms` and another
// process takes the destination on its next look (each forwarder looks every second).

import PostgresNIO
import SedgateCore
import Synchronization

/// This process's leases as it last saw them.
final class ClusterLeases: Sendable {
    struct Lease {
        /// Until when this process may use it without renewing (half its term: renewal is due then).
        var fresh: ContinuousClock.Instant
        /// When a caller last used it: leases not used for a while are given back.
        var used: ContinuousClock.Instant
    }

    let holder: String
    let duration: Duration
    private let held = Mutex<[NodeID: Lease]>([:])

    init(holder: String, duration: Duration) {
        self.holder = holder
        self.duration = duration
    }

    /// Whether this process holds `peer`'s lease with time to spare (marks it used).
    func isFresh(_ peer: NodeID) -> Bool {
        held.withLock { leases in
            guard var lease = leases[peer], ContinuousClock.now < lease.fresh else { return false }
            lease.used = .now
            leases[peer] = lease
            return true
        }
    }

    /// Records the outcome of taking or renewing `peers`' leases at `start`: those in `granted` are held.
    func note(_ peers: [NodeID], granted: Set<NodeID>, at start: ContinuousClock.Instant, used: Bool) {
        held.withLock { leases in
            for peer in peers {
                if granted.contains(peer) {
                    let previous = leases[peer]?.used ?? start
                    leases[peer] = Lease(fresh: start + duration / 2, used: used ? .now : previous)
                } else {
                    leases[peer] = nil
                }
            }
        }
    }

    /// The leases to renew (used within `recent`) and those to give back (idle longer).
    func sort(recent: Duration) -> (renew: [NodeID], release: [NodeID]) {
        held.withLock { leases in
            let now = ContinuousClock.now
            let renew = leases.filter { now - $0.value.used < recent }.map(\.key)
            let release = leases.filter { now - $0.value.used >= recent }.map(\.key)
            for peer in release { leases[peer] = nil }
            return (renew, release)
        }
    }

    /// Whether this process holds `peer`'s lease, fresh or due for renewal.
    func holds(_ peer: NodeID) -> Bool {
        held.withLock { $0[peer] != nil }
    }

    func forgetAll() {
        held.withLock { $0.removeAll() }
    }
}

extension ClusterJournal {
    /// Whether this process may forward to `peer` now: its lease is held, or was free (or ran out) and is taken.
    func holdLease(_ peer: NodeID) async throws(SedgateError) -> Bool {
        if leases.isFresh(peer) { return true }
        let start = ContinuousClock.now
        let milliseconds =
            Int64(leases.duration.components.seconds * 1_000)
            + leases.duration.components.attoseconds / 1_000_000_000_000_000
        let holder = leases.holder
        let had = leases.holds(peer)
        let granted = try await transaction("take the lease of \(peer)") { connection in
            let rows = try await connection.query(
                """
                INSERT INTO cn_lease (peer, holder, until)
                VALUES (\(peer.rawValue), \(holder), now() + \(milliseconds) * interval '1 millisecond')
                ON CONFLICT (peer) DO UPDATE SET holder = excluded.holder, until = excluded.until
                WHERE cn_lease.holder = excluded.holder OR cn_lease.until < now()
                RETURNING peer
                """, logger: self.logger)
            var granted = false
            for try await _ in rows { granted = true }
            return granted
        }
        leases.note([peer], granted: granted ? [peer] : [], at: start, used: true)
        if granted, !had {
            logger.notice(
                "took over forwarding to a destination", metadata: ["peer": "\(peer)", "holder": "\(holder)"])
        }
        return granted
    }

    /// Renews the leases used lately and gives back the others (one transaction). "Lately" outlasts the longest
    /// send (a large payload's fragment may take 900 s) and the longest retry wait: a forwarder busy sending, or
    /// waiting for a destination that is down, keeps its lease, so no other process sends that queue meanwhile.
    func renewLeases() async throws(SedgateError) {
        let (renew, release) = leases.sort(recent: .seconds(1_200))
        guard !renew.isEmpty || !release.isEmpty else { return }
        let start = ContinuousClock.now
        let milliseconds =
            Int64(leases.duration.components.seconds * 1_000)
            + leases.duration.components.attoseconds / 1_000_000_000_000_000
        let holder = leases.holder
        let renewNames = renew.map(\.rawValue)
        let releaseNames = release.map(\.rawValue)
        let kept = try await transaction("renew its leases") { connection in
            try await connection.query(
                "DELETE FROM cn_lease WHERE holder = \(holder) AND peer = ANY(\(releaseNames))", logger: self.logger)
            let rows = try await connection.query(
                """
                UPDATE cn_lease SET until = now() + \(milliseconds) * interval '1 millisecond'
                WHERE holder = \(holder) AND peer = ANY(\(renewNames)) RETURNING peer
                """, logger: self.logger)
            var kept: Set<String> = []
            for try await peer in rows.decode(String.self) { kept.insert(peer) }
            return kept
        }
        let lost = renew.filter { !kept.contains($0.rawValue) }
        if !lost.isEmpty {
            logger.warning("lost the lease of destinations to another process", metadata: ["peers": "\(lost)"])
        }
        leases.note(renew, granted: Set(renew.filter { kept.contains($0.rawValue) }), at: start, used: false)
    }

    /// Gives back every lease (a graceful stop: the other processes take the destinations at once).
    func releaseLeases() async {
        let holder = leases.holder
        leases.forgetAll()
        _ = try? await transaction("give back its leases") { connection in
            try await connection.query("DELETE FROM cn_lease WHERE holder = \(holder)", logger: self.logger)
        }
    }
}
