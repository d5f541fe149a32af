// SharedFragments: where the processes of a clustered coordination node keep the fragments of large payloads, so
// that the process taking a large SED, and the one forwarding it, can read fragments another process received.

/// A store of fragments shared by a CN cluster's processes (its PostgreSQL journal).
public protocol SharedFragments: Sendable {
    /// Keeps fragment `index` of SED `sedId`, durably, before the CN acknowledges it.
    func keepFragment(_ sedId: SEDID, index: Int, data: [UInt8]) async throws(SedgateError)
    /// Hands every kept fragment of `sedId` to `write`, one at a time, by index.
    func restoreFragments(
        _ sedId: SEDID, _ write: (_ index: Int, _ data: [UInt8]) throws(SedgateError) -> Void
    ) async throws(SedgateError)
}
