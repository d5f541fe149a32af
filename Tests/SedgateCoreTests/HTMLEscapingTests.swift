// HTMLEscapingTests: what the console and the public site put between tags or in attributes cannot open markup.

import SedgateCore
import Testing

@Suite("HTML escaping")
struct HTMLEscapingTests {
    @Test("markup, both quotes and ampersands become references; other text, Greek included, stays as it is")
    func escapes() {
        #expect(
            "<script>alert(\"x\")</script> & 'y'".htmlEscaped
                == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
        #expect("Ηλεκτρονικός e-EFKA: 100%".htmlEscaped == "Ηλεκτρονικός e-EFKA: 100%")
        #expect("&amp;".htmlEscaped == "&amp;amp;")
    }
}
