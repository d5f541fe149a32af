// StoreSweep: removes payload copies in var/store/ once the journal says they are no longer needed (a SED
// forwarded by the CN, or stored at the CN by its sender), so a month of traffic does not fill the disk.

import Foundation
public import SedgateCore

extension SpoolLayout {
    /// Deletes the stored copy at `relativePath` (relative to the spool root); a missing file is fine.
    public func dropPayload(_ relativePath: String) {
        // Only files of the node's own store, never a path that could leave it.
        guard relativePath.hasPrefix("var/store/"), !relativePath.contains("..") else { return }
        let path = root + "/" + relativePath
        // A plain file (the usual case) goes with one call; a folder (or an unlink refused) the long way.
        if unlink(path) != 0, errno != ENOENT { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Deletes every stored copy the journal no longer needs (those a crash left between a state change and
    /// its clean-up); run at start-up. Returns how many files went.
    @discardableResult
    public func sweepPayloads(
        _ store: any MessageStore, _ direction: Direction, done states: Set<SEDState>
    ) async throws(SedgateError) -> Int {
        var removed = 0
        for path in try await store.payloadPaths(direction, in: states)
        where FileManager.default.fileExists(atPath: root + "/" + path) {
            dropPayload(path)
            removed += 1
        }
        return removed
    }
}
