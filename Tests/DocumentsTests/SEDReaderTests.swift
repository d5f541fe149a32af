// SEDReaderTests: the sample SEDs read cleanly; bad roots, schema breaches and bad envelope fields are located.

import Documents
import SedgateCore
import Testing

/// Reads `bytes` as a SED and returns the error, or nil if it reads.
private func readError(_ bytes: [UInt8]) -> SedgateError? {
    do {
        _ = try SEDReader.read(bytes, source: "outbound/t.xml")
        return nil
    } catch {
        return error
    }
}

@Test("every sample in etc/samples validates and has a complete producer envelope")
func samplesValidate() throws {
    let names = try Samples.names()
    #expect(names.count >= 4)
    var sectors: Set<String> = []
    for name in names {
        let document = try SEDReader.read(try Samples.bytes(name), source: name)
        #expect(document.envelope.sender.country == "BE")
        #expect(document.envelope.receiver.country == "DK")
        #expect(document.content?.children.count == 1, "\(name) has one business element")
        sectors.insert(document.envelope.sector)
    }
    #expect(sectors.count >= 3)
}

@Test("the sample envelopes read to the values written, with and without a prefix")
func sampleEnvelopeValues() throws {
    let claim = try SEDReader.read(try Samples.bytes("pensions-P001-claim.xml"), source: "p")
    #expect(claim.envelope.sedId == nil)
    #expect(claim.envelope.sedType == "P001")
    #expect(claim.envelope.bucType == "P_BUC_01")
    #expect(claim.envelope.ackRequested == true)
    let check = try SEDReader.read(try Samples.bytes("sickness-S001-entitlement-request.xml"), source: "s")
    #expect(check.envelope.sedId == SEDID("3b8f1d2c-5e6a-4f70-8a9b-1c2d3e4f5a6b"))
    #expect(check.envelope.interaction == .sync)
    #expect(check.envelope.sender.office == "LIEGE")
}

@Test("a document that is not a SED is unsupported input that says what a SED looks like")
func wrongRoot() throws {
    let other = try #require(readError(Array("<Invoice xmlns=\"urn:eessi:sedgate:sed:1\"/>".utf8)))
    #expect(other.code == .unsupportedInput)
    #expect(other.message.contains("<Envelope>"))
    let wrongNamespace = try #require(readError(Array("<SED xmlns=\"urn:other\"><Envelope/></SED>".utf8)))
    #expect(wrongNamespace.code == .unsupportedInput)
}

@Test("a schema violation names the line and element path")
func schemaViolation() throws {
    let bytes = Samples.sed(envelope: Samples.requiredFields + "\n<Interaction>LATER</Interaction>")
    let error = try #require(readError(bytes))
    #expect(error.code == .schemaViolation)
    #expect(error.location?.file == "outbound/t.xml")
    #expect(error.location?.line == 5)
    #expect(error.location?.field == "/SED/Envelope/Interaction")
}

@Test("a missing required field and a repeated field break the schema")
func missingAndRepeated() throws {
    let missing = Samples.sed(envelope: "<SedType>P001</SedType>")
    #expect(readError(missing)?.code == .schemaViolation)
    let repeated = Samples.sed(envelope: Samples.requiredFields + "<SedType>P002</SedType>")
    #expect(readError(repeated)?.code == .schemaViolation)
    let reversed = Samples.sed(
        envelope: """
            <Receiver>DK:0002</Receiver><Sender>BE:0001</Sender><CaseId>c1</CaseId><BucType>P_BUC_01</BucType>
            <Sector>PE</Sector><SedVersion>1.0</SedVersion><SedType>P001</SedType>
            """)
    #expect(readError(reversed) == nil, "fields may come in any order")
}

@Test("an envelope value the schema admits but the envelope rules refuse names the field and its line")
func envelopeRuleNamesField() throws {
    // `..` matches the NodeID pattern but is not a usable node id.
    let bytes = Samples.sed(envelope: Samples.requiredFields + "\n<SendingAP>..</SendingAP>")
    let error = try #require(readError(bytes))
    #expect(error.code == .invalidEnvelope)
    #expect(error.message.contains("SendingAP"))
    #expect(error.location?.line == 5)
    #expect(error.location?.field == "/SED/Envelope/SendingAP")
}

@Test("EnvelopeXML.parse reports an unknown field by name")
func envelopeParseUnknownField() throws {
    let xml = "<Envelope xmlns=\"urn:eessi:sedgate:sed:1\">\(Samples.requiredFields)<Colour>red</Colour></Envelope>"
    let tree = try XMLTree.parse(Array(xml.utf8), source: "header")
    #expect {
        _ = try EnvelopeXML.parse(tree.root, source: "header")
    } throws: { error in
        guard let error = error as? SedgateError else { return false }
        return error.code == .invalidEnvelope && error.message.contains("Colour") && error.location?.line == 2
    }
}

@Test("a missing required field reported by EnvelopeXML.parse names the field")
func envelopeParseMissingField() throws {
    let xml = "<e:Envelope xmlns:e=\"urn:eessi:sedgate:sed:1\"><e:SedType>P001</e:SedType></e:Envelope>"
    let tree = try XMLTree.parse(Array(xml.utf8), source: "header")
    #expect {
        _ = try EnvelopeXML.parse(tree.root, source: "header")
    } throws: { error in
        guard let error = error as? SedgateError else { return false }
        return error.code == .invalidEnvelope && error.message.contains("SedVersion")
            && error.location?.field == "/Envelope/SedVersion"
    }
}

@Test("an envelope renders and parses back to the same value, escaping text")
func renderParseRoundTrip() throws {
    var fields: [EnvelopeField: String] = [:]
    for field in EnvelopeField.required { fields[field] = "X" }
    fields[.sector] = "SI"
    fields[.sender] = "BE:0001:LIEGE"
    fields[.receiver] = "DK:0002"
    fields[.sedId] = SEDID.random().rawValue
    fields[.createdAt] = "2026-11-23T10:15:00Z"
    fields[.contentType] = "text/x-mtf; note=\"a<b & c>'d'\""
    fields[.seqNo] = "42"
    fields[.ackRequested] = "true"
    fields[.interaction] = "SYNC"
    let envelope = try Envelope(fields: fields)
    for prefix in ["sed", ""] {
        let xml = EnvelopeXML.render(envelope, prefix: prefix)
        let tree = try XMLTree.parse(Array(xml.utf8), source: "rendered")
        #expect(try EnvelopeXML.parse(tree.root, source: "rendered") == envelope)
    }
    #expect(EnvelopeXML.render(envelope).hasPrefix("<sed:Envelope xmlns:sed=\"urn:eessi:sedgate:sed:1\"><sed:SedId>"))
}

@Test("one validator serves many concurrent validations with the right answers")
func concurrentValidation() async throws {
    let good = try XMLTree.parse(try Samples.bytes("pensions-P001-claim.xml"), source: "good")
    let bad = try XMLTree.parse(Samples.sed(envelope: "<Sector>XX</Sector>"), source: "bad")
    let validator = try SchemaValidator(xsdPath: DocumentsResources.envelopeSchemaPath)
    let results = await withTaskGroup(of: (Bool, Bool).self) { group in
        for index in 0..<64 {
            group.addTask {
                let isGood = index % 2 == 0
                let issues = validator.validate(isGood ? good : bad, source: "t")
                return (isGood, issues.isEmpty)
            }
        }
        return await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.count == 64)
    #expect(results.allSatisfy { $0.0 == $0.1 })
}

@Test("an unreadable schema path is a configuration error naming the file")
func badSchemaPath() {
    #expect {
        _ = try SchemaValidator(xsdPath: "/nonexistent/x.xsd")
    } throws: { error in
        (error as? SedgateError)?.code == .configuration && (error as? SedgateError)?.message.contains("x.xsd") == true
    }
}
