// Blocking: runs CPU-heavy or blocking work (parsing a large document, verifying its signatures) on NIO's thread
// pool instead of Swift's cooperative pool. The cooperative pool has one thread per core (two here): a long parse
// there stalls every task of the node, the server's replies and the senders' timers included.

import NIOPosix
public import SedgateCore

/// Work that must not hold a cooperative thread.
public enum Blocking {
    /// Runs `body` on a thread of NIO's shared pool and returns its result; its error is rethrown as it was.
    public static func run<Result: Sendable>(
        _ body: @escaping @Sendable () throws(SedgateError) -> Result
    ) async throws(SedgateError) -> Result {
        try await onPool(body) { () throws(SedgateError) in
            throw SedgateError(.io, "the node's worker threads are stopping; try again")
        }
    }

    /// Durable file work (writes and renames with their fsyncs) off the cooperative pool: an fsync takes
    /// milliseconds, and on two cooperative threads two of them would stall every other stage of the node. Runs
    /// `body` inline once the pool has stopped (the node is shutting down), so nothing is ever skipped.
    public static func durable<Result: Sendable>(
        _ body: @escaping @Sendable () throws(SedgateError) -> Result
    ) async throws(SedgateError) -> Result {
        try await onPool(body) { () throws(SedgateError) in try body() }
    }

    /// `durable(_:)` for work that handles its own failures (reports, whose failure is logged, never fatal).
    public static func durableQuietly(_ body: @escaping @Sendable () -> Void) async {
        // Neither closure throws: `try?` only satisfies the signature they share with `durable`.
        _ = try? await onPool(body) { body() }
    }

    /// `body` on the pool, or `stopped` when the pool no longer takes work.
    private static func onPool<Result: Sendable>(
        _ body: @escaping @Sendable () throws(SedgateError) -> Result,
        stopped: () throws(SedgateError) -> Result
    ) async throws(SedgateError) -> Result {
        do {
            return try await NIOThreadPool.singleton.runIfActive { () throws -> Result in try body() }
        } catch let error as SedgateError {
            throw error
        } catch {
            return try stopped()
        }
    }
}
