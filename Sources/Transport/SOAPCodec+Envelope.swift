// SOAPCodec+Envelope: the SED envelope inside the SOAP header, in the SED namespace, through Documents' EnvelopeXML
// so the header copy and the SED's own envelope are written and read by the same code.

import Documents
import SedgateCore

extension SOAPCodec {
    /// `<sed:Envelope xmlns:sed="urn:eessi:sedgate:sed:1">` with every present field, in canonical order.
    static func renderEnvelope(_ envelope: Envelope) -> String {
        EnvelopeXML.render(envelope, prefix: "sed")
    }

    /// The envelope of a `<sed:Envelope>` element; throws `.invalidEnvelope` naming the field at fault.
    static func parseEnvelope(_ node: XMLNode, source: String) throws(SedgateError) -> Envelope {
        try EnvelopeXML.parse(node, source: source)
    }
}
