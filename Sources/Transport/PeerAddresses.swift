// PeerAddresses: one peer reachable at several base URLs (the processes of a CN cluster), tried in turn. The
// address that answered last is tried first; an address that cannot be reached (connection refused, reset,
// timed out) hands the attempt to the next one at once, so a sender fails over without waiting for its retry.

import SedgateCore
import Synchronization

/// The base URLs of one peer, and which one answered last.
final class PeerAddresses: Sendable {
    let urls: [String]
    private let current = Mutex(0)

    init(_ urls: [String]) {
        precondition(!urls.isEmpty, "a peer needs at least one address")
        self.urls = urls
    }

    /// Runs `attempt` on each address from the last good one on until one does not fail with `.peerUnavailable`;
    /// throws the last failure when none could be reached.
    func attempt<T>(_ attempt: (String) async throws(SedgateError) -> T) async throws(SedgateError) -> T {
        let start = current.withLock { $0 }
        var failure: SedgateError?
        for step in 0..<urls.count {
            let index = (start + step) % urls.count
            do {
                let result = try await attempt(urls[index])
                if index != start { current.withLock { $0 = index } }
                return result
            } catch  where error.code == .peerUnavailable {
                failure = error
            }
        }
        throw failure!
    }
}
