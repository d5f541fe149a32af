// SyncDeadline: when the reply to a synchronous request (FS-46) is due, and whether a reply is on time.
// Pure values, no clock: the requester's SyncTracker gives the times.

public import Foundation

/// The deadline of a synchronous request and the verdict on a reply to it.
///
/// A request is a SED with `Interaction` SYNC and no `InReplyTo`; a reply names it in `InReplyTo`. The reply is on
/// time when the requesting access point holds it by the deadline: the request's `DueDate` when it gives one (an
/// ISO 8601 UTC time; a date alone means the end of that day, UTC), else the moment the request was accepted plus
/// the node's `[sync] timeout-s` (60 s by default).
public enum SyncDeadline {
    /// The default wait for a reply, when a request gives no `DueDate`.
    public static let defaultTimeout = Duration.seconds(60)

    /// Whether `envelope` is a synchronous request (not a reply).
    public static func isRequest(_ envelope: Envelope) -> Bool {
        envelope.interaction == .sync && envelope.inReplyTo == nil
    }

    /// The moment a reply to `envelope`, accepted at `acceptedAt`, must have arrived by.
    public static func deadline(of envelope: Envelope, acceptedAt: Date, timeout: Duration) -> Date {
        if let due = envelope.dueDate {
            if let time = Timestamp.parse(due) { return time }
            if let day = Timestamp.parse(due + "T00:00:00Z") { return day.addingTimeInterval(86_400 - 0.001) }
        }
        return acceptedAt.addingTimeInterval(timeout.timeInterval)
    }

    /// What a requester makes of a reply.
    public enum Verdict: Sendable, Hashable {
        /// Land it: it came in time (or is this request's answer already taken, sent again).
        case onTime
        /// Refuse it: the deadline had passed; `reason` says when and since when.
        case late(reason: String)
    }

    /// Where a tracked request stands.
    public enum State: String, Sendable, Hashable {
        case pending, answered, timeout
    }

    /// The verdict on `reply` to a request in `state` (answered by `answeredBy`, due at `deadline`) at `now`.
    ///
    /// A reply already taken is on time again (its sender retried it); any other reply is on time only before the
    /// deadline and while the request has not timed out. A second reply before the deadline is taken too.
    public static func verdict(
        reply: SEDID, request: SEDID, state: State, answeredBy: SEDID?, deadline: Date, now: Date
    ) -> Verdict {
        if state == .answered, answeredBy == reply { return .onTime }
        if state != .timeout, now <= deadline { return .onTime }
        let late = String(format: "%.3f", now.timeIntervalSince(deadline))
        return .late(
            reason:
                "the reply \(reply) to the synchronous request \(request) came after its deadline, "
                + "\(Timestamp.iso8601(deadline)) (\(late) s late), when the request had already timed out; "
                + "it is refused and never delivered: send the request again if an answer is still needed")
    }
}
