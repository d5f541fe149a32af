// DocumentTargets: a SED as a producer or a peer hands it over: the safe parse, the envelope schema and fields,
// the content rules of etc/validation, envelope completion, and a sidecar envelope of an enclosure.

import Documents
import SedgateCore

/// The SED target.
enum DocumentTargets {
    /// SED XML and its envelope, as the access point's intake and receiver read them.
    static let sed = FuzzTarget(
        name: "sed",
        summary: "SED XML: SEDReader, the etc/validation rules, EnvelopeCompletion, a sidecar <Envelope>",
        prepare: {
            let validator = try SEDValidator(rulesDirectory: repositoryRoot + "/etc/validation")
            let additions: [EnvelopeField: String] = [
                .sedId: "0b9e7f5c-3d1a-4e8b-9c2f-6a7d8e9f0a1b", .createdAt: "2026-12-07T01:00:00.000Z",
                .sendingAP: "AP-BE", .seqNo: "7",
            ]
            return { bytes in
                // The intake of a SED file: read, validate its content, complete its envelope.
                if let document = try? SEDReader.read(bytes, source: "fuzz") {
                    _ = validator.validate(document)
                    _ = try? EnvelopeCompletion.completing(document, with: additions)
                }
                // A flat profile's SED, completed before it can pass the reader.
                _ = try? EnvelopeCompletion.completing(bytes, source: "fuzz", with: additions)
                // The sidecar of an enclosure: one <Envelope> element.
                if let tree = try? XMLTree.parse(bytes, source: "fuzz"), tree.root.localName == "Envelope" {
                    _ = try? EnvelopeXML.parse(tree.root, source: "fuzz")
                }
            }
        })
}
