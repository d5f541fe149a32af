// HangupReload: SIGHUP makes a running node re-read what an administrator may change without a restart: the
// validation rules (`[validation] rules`). The peers' certificates (`[directory] certificates`) are read per
// send already. Without this service SIGHUP's default action would end the process.

public import ServiceLifecycle
import UnixSignals

/// Runs `reload` on every SIGHUP until the node stops.
public struct HangupReload: Service {
    let reload: @Sendable () -> Void

    public init(reload: @escaping @Sendable () -> Void) {
        self.reload = reload
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals { reload() }
        }
    }
}
