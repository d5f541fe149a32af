// StoredSED: reads back a sealed SED the CN stored, to forward it (push) or hand it out (pull) untouched.

import Foundation
import SedgateCore
import Spool
import Transport

/// The CN's stored copy of a sealed SED, as it arrived: the CN never had the key to open it.
enum StoredSED {
    /// The sealed SED of `record`, read from var/store/. Its signatures were verified when it arrived; the
    /// destination verifies them again.
    static func read(
        _ record: MessageRecord, _ configuration: CoordinationNodeConfiguration
    ) throws(SedgateError)
        -> SealedSED
    {
        let bytes = try SpoolFile.read(configuration.spool.root + "/" + record.payloadPath, maxBytes: Int.max)
        return SealedSED(
            bytes: Data(bytes), envelope: record.envelope, sedId: record.sedId, size: record.size,
            contentType: record.envelope.contentType ?? "application/xml", compression: nil, signer: nil)
    }
}
