// SyncSettings: the `[sync]` table of an access point's file: how long a synchronous request waits for its reply
// when it gives no `DueDate` (README, "Synchronous requests").

import ConfigurationFile
import SedgateCore

/// `[sync]` settings.
enum SyncSettings {
    /// `[sync] timeout-s` (60 by default): the reply deadline of a SYNC request without a `DueDate`.
    static func timeout(_ file: ConfigFile) throws(SedgateError) -> Duration {
        let seconds = try file.int("sync", "timeout-s", default: Int(SyncDeadline.defaultTimeout.components.seconds))
        guard seconds >= 1 else {
            throw file.fail("sync", "timeout-s", "is \(seconds); a synchronous request must be given 1 s or more")
        }
        return .seconds(seconds)
    }
}
