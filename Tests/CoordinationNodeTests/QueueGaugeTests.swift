// QueueGaugeTests: the CN's back-pressure count, cached for its maximum age on a manual clock.

import SedgateCore
import SedgateTesting
import Store
import Testing

@testable import CoordinationNode

@Suite("The CN's queue gauge")
struct QueueGaugeTests {
    @Test("the count is read from the journal at most once per maximum age; each SED noted counts at once")
    func cachesAndNotes() async throws {
        let node = try RelayNode()
        _ = await node.deliver(try node.seal(2))
        let gauge = QueueGauge(journal: node.journal, maximumAge: .seconds(1), now: node.clock.instant)
        #expect(try await gauge.value() == 2)

        _ = await node.deliver(try node.seal(1))
        #expect(try await gauge.value() == 2)
        gauge.note()
        #expect(try await gauge.value() == 3)
        gauge.note()
        #expect(try await gauge.value() == 4)

        // Once the count is a second old the journal is asked again, and what it holds is the truth.
        node.clock.advance(by: .seconds(1))
        #expect(try await gauge.value() == 3)
    }

    @Test("before a first count, noting a SED changes nothing: the first read asks the journal")
    func noteBeforeCount() async throws {
        let node = try RelayNode()
        let gauge = QueueGauge(journal: node.journal, now: node.clock.instant)
        gauge.note()
        #expect(try await gauge.value() == 0)
    }
}
