// Puller: pull mode (FS-45) for an access point the CN cannot reach (behind a firewall): it asks the CN for
// its next item, handles it exactly as a pushed one (the same receiver: validation, seen-set, landing,
// reports), and posts its answer back so the CN can complete the step. Reads and writes what the receiver does.

import Logging
import SedgateCore
import ServiceLifecycle
import Transport

/// Polls the CN for SEDs and receipts meant for this access point.
struct Puller: Service {
    let configuration: AccessPointConfiguration
    let receiver: InboundReceiver
    let client: ProtocolClient
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var schedule = RetrySchedule(initial: configuration.retryInitial, maximum: configuration.retryMaximum)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let wait: Duration
            switch await pullOnce() {
            case .some(true):
                schedule.succeeded()
                continue  // more may wait: ask again at once
            case .some(false):
                schedule.succeeded()
                wait = interval
            case .none:
                wait = schedule.failed(now: .now) - .now
            }
            try? await Task.sleep(for: wait)
        }
    }

    /// One pull: true when an item was handled, false when nothing waited, nil on failure.
    func pullOnce() async -> Bool? {
        let cn = configuration.coordinationNode
        let item: ProtocolMessage
        do {
            item = try await client.send(
                ProtocolMessage(action: .pull, from: configuration.node, to: cn), to: configuration.coordinationNodeURL)
        } catch {
            logger.warning("cannot pull from the CN; will retry", metadata: ["error": "\(error)"])
            return nil
        }
        switch item.action {
        case .empty:
            return false
        case .deliver, .receipt, .fragment:
            var answer = await receiver.handle(item, peer: PeerIdentity(commonName: cn.rawValue))
            if let fault = answer.fault {
                // A pulled fragment refused for good fails its SED too: the CN never hands it out again (P-PULL-6).
                guard fault.isFinal, let sedId = item.envelope?.sedId ?? item.fragment?.sedId else {
                    logger.warning("cannot take a pulled item now; will retry", metadata: ["fault": "\(fault.reason)"])
                    return nil
                }
                // Refused for good (e.g. it breaks its rules): the CN fails it and tells the sender why.
                answer = ProtocolMessage(
                    action: .receipt, from: configuration.node, to: cn,
                    receipt: Receipt(
                        sedId: sedId, kind: .failed, node: configuration.node, at: Timestamp.now(),
                        reason: fault.reason, code: fault.code, fragment: item.fragment?.index))
            }
            answer.relatesTo = nil
            answer.messageID = ProtocolMessage.newMessageID()
            do {
                _ = try await client.send(answer, to: configuration.coordinationNodeURL)
            } catch {
                // The CN pulls it out again next time; the seen-set makes the second handling a no-op.
                logger.warning("cannot answer the CN; will pull the item again", metadata: ["error": "\(error)"])
                return nil
            }
            return true
        case .pull, .fault:
            logger.error(
                "the CN answered a pull with \(item.action)", metadata: ["reason": "\(item.fault?.reason ?? "")"])
            return nil
        }
    }
}
