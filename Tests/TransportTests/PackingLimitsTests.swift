// PackingLimitsTests: when a partial compound message leaves, on an injected clock (no sleeps, no sockets).

import Foundation
import Testing
import Transport

@Suite("Packing limits: the packer's wait")
struct PackingLimitsTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("with wait-ms = 300 and SEDs committed 20 ms apart, one message carries them all")
    func waitFillsTheMessage() {
        let limits = PackingLimits(maxSEDs: 50, wait: .milliseconds(300))
        var message: [Date] = []
        var sent: [[Date]] = []
        // 15 SEDs, one every 20 ms; the packer is asked at each arrival and once more when its wait ends.
        for index in 0..<15 {
            let now = start.addingTimeInterval(Double(index) * 0.020)
            message.append(now)
            switch limits.departure(count: message.count, bytes: message.count * 5_000, oldest: message[0], now: now) {
            case .now:
                sent.append(message)
                message = []
            case .at(let due):
                #expect(due == start.addingTimeInterval(0.300))
            }
        }
        #expect(sent.isEmpty)
        let due = start.addingTimeInterval(0.300)
        #expect(limits.departure(count: 15, bytes: 75_000, oldest: message[0], now: due) == .now)
        #expect(message.count == 15)
    }

    @Test("a wait under one second is kept to the millisecond, not rounded to zero")
    func subSecondWait() {
        let limits = PackingLimits(maxSEDs: 50, wait: .milliseconds(50))
        let now = start.addingTimeInterval(0.049)
        #expect(limits.departure(count: 1, bytes: 10, oldest: start, now: now) == .at(start.addingTimeInterval(0.050)))
        #expect(limits.departure(count: 1, bytes: 10, oldest: start, now: start.addingTimeInterval(0.051)) == .now)
    }

    @Test("a full message leaves at once, by count or by bytes")
    func fullLeavesAtOnce() {
        let limits = PackingLimits(maxSEDs: 10, maxBytes: 1_000, wait: .seconds(5))
        #expect(limits.departure(count: 10, bytes: 100, oldest: start, now: start) == .now)
        #expect(limits.departure(count: 2, bytes: 1_000, oldest: start, now: start) == .now)
        #expect(limits.departure(count: 9, bytes: 999, oldest: start, now: start) == .at(start.addingTimeInterval(5)))
    }
}
