// Doorbell: wakes a worker loop when there is new work, without polling and without losing a ring.

/// A wake-up signal for one consumer loop. `ring()` from anywhere; the consumer iterates `rings`.
/// Rings coalesce: many rings while the consumer is busy become one wake-up, which is all a
/// "look at the queue again" loop needs.
public final class Doorbell: Sendable {
    /// The wake-ups; iterate it in exactly one task.
    public let rings: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    /// Bells rung with this one: a second consumer of the same news (the synchronous lane beside the batches).
    private let others: [Doorbell]

    /// A bell; each ring also rings `others`.
    public init(alsoRinging others: [Doorbell] = []) {
        (rings, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.others = others
    }

    /// Asks the consumer to look again.
    public func ring() {
        continuation.yield()
        for other in others { other.ring() }
    }

    /// Ends the stream (the consumer's loop finishes).
    public func close() {
        continuation.finish()
    }
}
