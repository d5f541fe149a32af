// CapacityTests: the back-pressure decision refuses at the queue limit and at the disk floor, and not before.

import SedgateCore
import Testing

@Suite("Capacity")
struct CapacityTests {
    @Test("a node refuses new SEDs once its queue reaches the limit, and says when to retry")
    func queueLimit() {
        let capacity = Capacity(maxQueued: 10, retryAfter: .seconds(5))
        #expect(capacity.refusal(queued: 9, freeBytes: 1 << 40) == nil)
        let refusal = capacity.refusal(queued: 10, freeBytes: 1 << 40)
        #expect(refusal?.code == .backPressure)
        #expect(refusal?.message.contains("retry in 5 s") == true)
    }

    @Test("a node refuses new SEDs when the free disk space falls under the floor")
    func diskFloor() {
        let capacity = Capacity(minFreeBytes: 512 << 20)
        #expect(capacity.refusal(queued: 0, freeBytes: 513 << 20) == nil)
        #expect(capacity.refusal(queued: 0, freeBytes: 511 << 20)?.code == .backPressure)
    }

    @Test("without limits nothing is refused")
    func unlimited() {
        #expect(Capacity().refusal(queued: Int.max - 1, freeBytes: 0) == nil)
    }
}
