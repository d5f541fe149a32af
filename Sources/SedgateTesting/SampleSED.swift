// SampleSED: generated SED documents of a chosen size, for tests and benchmarks (realistic shape,
// invented data).

public import SedgateCore

/// Makes SED documents in the sedgate SED format.
public enum SampleSED {
    /// A pension-claim-like SED (sector PE) of roughly `size` bytes. With `sedId` nil the envelope has
    /// no SedId and the access point assigns one. With `sendingAP` and `seqNo` given, the envelope is complete
    /// (it also has CreatedAt), so the access point has nothing to add and the file travels byte for byte.
    /// SED `index` belongs to case `index`: its conversation, in which the access point numbers SEDs without `seqNo`.
    public static func make(
        sedId: SEDID?, sender: String = "BE:0001", receiver: String = "DK:0002", size: Int = 5_000, index: Int = 0,
        sendingAP: String? = nil, seqNo: Int? = nil
    ) -> [UInt8] {
        var envelope = ""
        if let sedId { envelope += "    <SedId>\(sedId)</SedId>\n" }
        if let sendingAP {
            envelope += "    <SendingAP>\(sendingAP)</SendingAP>\n    <CreatedAt>2026-11-23T08:00:00.000Z</CreatedAt>\n"
        }
        if let seqNo { envelope += "    <SeqNo>\(seqNo)</SeqNo>\n" }
        envelope += """
                <SedType>P001</SedType>
                <SedVersion>4.2</SedVersion>
                <Sector>PE</Sector>
                <BucType>P_BUC_01</BucType>
                <CaseId>c0ffee00-0000-4000-8000-\(format6(index))</CaseId>
                <Sender>\(sender)</Sender>
                <Receiver>\(receiver)</Receiver>

            """
        var periods = ""
        var year = 1980
        let head = """
            <?xml version="1.0" encoding="UTF-8"?>
            <SED xmlns="urn:eessi:sedgate:sed:1">
              <Envelope>
            \(envelope)  </Envelope>
              <Content>
                <pe:PensionClaim xmlns:pe="urn:eessi:sedgate:sed:pe:1">
                  <pe:Person><pe:Pin country="BE">85.07.30-033.61</pe:Pin><pe:FamilyName>Peeters</pe:FamilyName><pe:Forenames>Anna Maria</pe:Forenames><pe:BirthDate>30071955</pe:BirthDate><pe:Sex>F</pe:Sex></pe:Person>
                  <pe:PensionType>old-age</pe:PensionType>
                  <pe:ClaimDate>2026-10-01</pe:ClaimDate>

            """
        let tail = """
                </pe:PensionClaim>
              </Content>
            </SED>

            """
        while head.utf8.count + periods.utf8.count + tail.utf8.count < size {
            periods +=
                "      <pe:Period type=\"employment\" from=\"\(year)-01-01\" to=\"\(year)-12-31\" scheme=\"wage-earners\">Employer \(index)-\(year) é</pe:Period>\n"
            year += 1
        }
        return Array((head + periods + tail).utf8)
    }

    private static func format6(_ index: Int) -> String {
        let digits = String(index % 1_000_000_000_000)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }
}
