// PackingLimits: how a node groups sealed SEDs into compound messages (the access point's packer, and the CN
// when it forwards or answers a pull). Pure: the clock is the caller's.

public import Foundation
import SedgateCore

/// A compound message closes at `maxSEDs` SEDs or `maxBytes` bytes of SEDs; at an access point, a partial one
/// leaves once its oldest SED has waited `wait` since it was accepted.
public struct PackingLimits: Sendable, Hashable {
    /// What the packer does with the SEDs waiting for a message.
    public enum Departure: Sendable, Hashable {
        /// Send now: the message is full, or its oldest SED has waited long enough.
        case now
        /// Wait for companions until this moment (the oldest SED's acceptance plus `wait`).
        case at(Date)
    }

    /// At most this many SEDs in one compound message.
    public var maxSEDs: Int
    /// At most this many bytes of SEDs in one compound message.
    public var maxBytes: Int
    /// How long a SED may wait for companions before a partial message leaves (access points only). The default,
    /// zero, is group commit without a fixed wait: the sender takes whatever waits each time it is free, so SEDs
    /// gather while the message before is on its way (one at a time at light load, full messages under load).
    public var wait: Duration
    /// A payload larger than this travels as fragments ahead of its sealed SED (access points only).
    public var fragmentAbove: Int
    /// The size of each fragment.
    public var fragmentSize: Int

    /// Makes packing limits.
    public init(
        maxSEDs: Int = 50, maxBytes: Int = 8 << 20, wait: Duration = .zero, fragmentAbove: Int = 8 << 20,
        fragmentSize: Int = 2 << 20
    ) {
        self.maxSEDs = maxSEDs
        self.maxBytes = maxBytes
        self.wait = wait
        self.fragmentAbove = fragmentAbove
        self.fragmentSize = fragmentSize
    }

    /// When a message of `count` SEDs (`bytes` in all), the oldest accepted at `oldest`, should leave, at `now`.
    ///
    /// A full message (by count or bytes) leaves at once; a partial one waits until its oldest SED has waited
    /// `wait`, to the millisecond, so SEDs committed faster than the wait fill the message up to `maxSEDs`.
    public func departure(count: Int, bytes: Int, oldest: Date, now: Date) -> Departure {
        if count >= maxSEDs || bytes >= maxBytes { return .now }
        let due = oldest.addingTimeInterval(wait.timeInterval)
        return due <= now ? .now : .at(due)
    }
}
