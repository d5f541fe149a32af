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
        let path = configuration.spool.root + "/" + record.payloadPath
        let bytes = try SpoolFile.read(path, maxBytes: Int.max)
        return try SealedSED.stored(Data(bytes), source: path)
    }
}
