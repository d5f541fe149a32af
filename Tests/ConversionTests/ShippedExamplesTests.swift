// ShippedExamplesTests: every mapping shipped in mappings/ turns its sample flat files into SEDs that the shipped
// default validation rules (etc/validation) accept: what a new administrator copies must work out of the box.

import Conversion
import Documents
import Foundation
import SedgateCore
import Testing

@Suite("Shipped example mappings")
struct ShippedExamplesTests {
    /// The shipped mappings (`mappings/*.yaml`) and, for each, its samples (`mappings/examples/<mapping>*.mtf`).
    static func examples() throws -> [(mapping: String, samples: [String])] {
        let manager = FileManager.default
        let mappings = try manager.contentsOfDirectory(atPath: Support.root + "/mappings")
            .filter { $0.hasSuffix(".yaml") }.sorted()
        let samples = try manager.contentsOfDirectory(atPath: Support.root + "/mappings/examples")
            .filter { $0.hasSuffix(".mtf") }.sorted()
        return try mappings.map { file in
            let mapping = try Mapping.load(Support.root + "/mappings/" + file, library: Support.library)
            return (
                file, samples.filter { $0.hasPrefix(mapping.name) }.map { Support.root + "/mappings/examples/" + $0 }
            )
        }
    }

    @Test("each shipped mapping converts its samples into SEDs the shipped default rules accept without an error")
    func samplesPassShippedRules() throws {
        let validator = try SEDValidator(rulesDirectory: Support.root + "/etc/validation")
        let examples = try Self.examples()
        #expect(examples.count >= 2)
        for (file, samples) in examples {
            #expect(!samples.isEmpty, "\(file) has no sample in mappings/examples/")
            let mapping = try Mapping.load(Support.root + "/mappings/" + file, library: Support.library)
            for sample in samples {
                let seds = try Support.read(mapping, .mtf, try Support.bytes(sample), source: sample)
                #expect(!seds.isEmpty, "\(sample)")
                for (index, sed) in seds.enumerated() {
                    let name = "\(sample) SED \(index + 1)"
                    let report = validator.validate(try SEDReader.read(sed, source: name))
                    #expect(report.errors.isEmpty, "\(name) (\(file)):\n\(report.text())")
                    #expect(report.rulesApplied.contains("default/sed-content.sch"), "\(report.rulesApplied)")
                }
            }
        }
    }
}
