// WriterCheck: asks the kernel whether any process has a file open for writing, so the watcher never
// takes a file a producer still holds open, even one that has paused longer than the settle time.
// Reads nothing; opens the file read-only for an instant.

import Glibc
import SedgateCore

/// Whether a file is open for writing by some process, through a read lease (fcntl F_SETLEASE).
///
/// Linux grants a read lease only when no process has the file open for writing, and refuses with
/// EAGAIN otherwise. The lease is released at once. Leases need the caller to own the file (or
/// CAP_LEASE); where that is not the case (a producer running as another user) the answer is "unknown", and
/// the watcher does not take the file on the settle time alone (it fails closed).
enum WriterCheck {
    /// The answers the kernel can give.
    enum Answer: Equatable {
        case open, closed
        /// The kernel would not say; why, for the operator.
        case unknown(String)
    }

    // From <bits/fcntl-linux.h>; Swift's Glibc module does not export the Linux-specific lease calls.
    private static let setLease: Int32 = 1024  // F_SETLEASE
    private static let readLease: Int32 = 0  // F_RDLCK
    private static let unlock: Int32 = 2  // F_UNLCK

    /// Ignores SIGIO, the lease-break notice: a producer opening the file during our instant-long lease
    /// must not kill the node (SIGIO's default action), it only waits until we release.
    private static let installed: Void = { _ = signal(SIGIO, SIG_IGN) }()

    /// Whether `path` is open for writing now.
    static func answer(_ path: String) -> Answer {
        _ = installed
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .unknown("it cannot be opened for reading: \(Syscall.describe(errno))") }
        defer { close(descriptor) }
        if fcntl(descriptor, setLease, readLease) == 0 {
            _ = fcntl(descriptor, setLease, unlock)
            return .closed
        }
        let error = errno
        if error == EAGAIN { return .open }
        return .unknown(
            "the kernel refuses this node a lease on it (\(Syscall.describe(error))): it belongs to another user "
                + "and the node lacks CAP_LEASE")
    }
}
