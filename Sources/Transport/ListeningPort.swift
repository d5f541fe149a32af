// ListeningPort: the port a server actually bound (useful with port 0), awaited by tests and launchers.

import SedgateCore
import Synchronization

/// Holds the bound port once the server listens; wakes waiters then, or when the server stops first.
final class ListeningPort: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int?, Never>])
        case listening(Int)
        case stopped
    }

    private let state = Mutex(State.waiting([]))

    /// Records the bound port and wakes every waiter.
    func bound(_ port: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int?, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .listening(port)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    /// Records that the server stopped; waiters get nil.
    func stopped() {
        let waiters = state.withLock { state -> [CheckedContinuation<Int?, Never>] in
            defer { state = .stopped }
            guard case .waiting(let waiters) = state else { return [] }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Whether the server has started listening (and not stopped).
    var isListening: Bool {
        state.withLock { if case .listening = $0 { return true } else { return false } }
    }

    /// The bound port, waiting until the server listens; nil if it stopped (or failed to start) first.
    func wait() async -> Int? {
        await withCheckedContinuation { continuation in
            let immediate: Int?? = state.withLock { state in
                switch state {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return .none
                case .listening(let port): return .some(port)
                case .stopped: return .some(nil)
                }
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }
}
