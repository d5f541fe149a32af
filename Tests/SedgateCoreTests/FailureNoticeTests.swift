// FailureNoticeTests: a failure repeated every tick is reported once, again when its kind changes, and its end once.

import SedgateCore
import Testing

@Test("a repeating failure is logged once, again on a change of kind, and its recovery once")
func failureNotice() {
    var notice = FailureNotice()
    #expect(notice.succeeded() == false, "nothing to recover from")
    #expect(notice.failed("io") == true)
    #expect(notice.failed("io") == false)
    #expect(notice.failed("io") == false)
    #expect(notice.failed("storage") == true)
    #expect(notice.succeeded() == true)
    #expect(notice.succeeded() == false)
    #expect(notice.failed("io") == true, "a new outage is logged again")
}
