// RetryNow: the operator's "retry now" signal to a running node: `sedgate queue retry` touches
// `var/control/retry-now`; the node's senders notice its new modification time and drop their backoff.

import Glibc
public import SedgateCore

extension SpoolLayout {
    /// The file `sedgate queue retry` touches.
    public var retryNowPath: String { varDirectory + "/control/retry-now" }

    /// The retry-now file's modification time in nanoseconds, or nil when it was never touched.
    public func retryNowStamp() -> Int64? {
        guard case (let info?, _) = Syscall.lstat(retryNowPath) else { return nil }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// Asks the running node to retry everything that waits, now.
    public func touchRetryNow() throws(SedgateError) {
        let control = varDirectory + "/control"
        _ = mkdir(control, 0o750)
        // A fresh file each time: its new inode and mtime are the signal.
        try SpoolFile.writeAtomically(Array(Timestamp.now().utf8), to: retryNowPath, durable: false)
    }
}
