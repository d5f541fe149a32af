// SealingPool: a fixed set of threads that seal and open the SEDs of a compound message side by side. Sealing and
// opening call libxml2, xmlsec and OpenSSL, which block their thread, so they never run on Swift's cooperative pool;
// a task awaits the pool instead. Each SED is sealed or opened on one thread with its own parse and contexts (the
// keys and the trust store are only read), so the SEDs of one message use every core.

import NIOCore
import NIOPosix
public import SedgateCore

/// Threads for the CPU-bound work on SEDs (sealing, verifying, opening), apart from the cooperative pool.
public final class SealingPool: Sendable {
    /// The threads.
    private let pool: NIOThreadPool
    /// How many threads run work.
    public let threads: Int

    /// A process-wide pool with one thread per core, started on first use and never stopped.
    public static let shared = SealingPool(threads: System.coreCount)

    /// A started pool of `threads` threads (at least one). A pool other than `shared` must be stopped with
    /// `shutdown()` before it goes away.
    public init(threads: Int) {
        self.threads = max(1, threads)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// Stops the threads once the work given to them has run; work given afterwards fails.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }

    /// `body` applied to each of `items`, on the pool's threads, in the order of `items`. The items are cut into one
    /// contiguous run per thread; the first error (in item order) is thrown once every run has ended.
    public func map<Item: Sendable, Value: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) throws(SedgateError) -> Value
    ) async throws(SedgateError) -> [Value] {
        let results = await results(items) { (item) throws(SedgateError) in try body(item) }
        return try results.map { (result) throws(SedgateError) in try result.get() }
    }

    /// `body` applied to each of `items` as `map` does, each outcome kept apart (a SED that fails does not stop
    /// the others).
    public func results<Item: Sendable, Value: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item) throws(SedgateError) -> Value
    ) async -> [Result<Value, SedgateError>] {
        guard items.count > 1, threads > 1 else {
            return items.map { item in Result { () throws(SedgateError) in try body(item) } }
        }
        let runs = min(threads, items.count)
        let size = (items.count + runs - 1) / runs
        let slices = stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
        return await withTaskGroup(of: (Int, [Result<Value, SedgateError>]).self) { group in
            for (index, slice) in slices.enumerated() {
                group.addTask {
                    let outcome = try? await self.pool.runIfActive {
                        slice.map { item in Result { () throws(SedgateError) in try body(item) } }
                    }
                    let stopped = SedgateError(.io, "the sealing threads have stopped; the node is shutting down")
                    return (index, outcome ?? slice.map { _ in .failure(stopped) })
                }
            }
            var ordered = [[Result<Value, SedgateError>]](repeating: [], count: slices.count)
            for await (index, outcome) in group { ordered[index] = outcome }
            return ordered.flatMap { $0 }
        }
    }
}
