// SEDValidatorRuleSet: the rule files of one folder of the rules directory (`P001/1.0/` or `default/`), compiled.
//
// Reads the folder's top-level `*.xsd` (content schemas) and `*.sch` (Schematron) files in name order; other
// files and sub-folders are left alone (a sub-folder is the place for XSDs that the top-level ones include).

import Foundation
import SedgateCore

/// The compiled rules of one folder; immutable, shared by every validation of that SED type and version.
final class RuleSet: Sendable {
    /// The folder relative to the rules directory, e.g. `P001/1.0` or `default`.
    let folder: String
    let schemas: [ContentSchema]
    let schematrons: [Schematron]

    /// The rule files, relative to the rules directory, XSDs first, in the order they are applied.
    var files: [String] { schemas.map(\.name) + schematrons.map(\.name) }

    private init(folder: String, schemas: [ContentSchema], schematrons: [Schematron]) {
        self.folder = folder
        self.schemas = schemas
        self.schematrons = schematrons
    }

    /// Loads `directory/folder`; throws `.configuration` for the first file that cannot be read or compiled.
    static func load(directory: String, folder: String) throws(SedgateError) -> RuleSet {
        let path = directory + "/" + folder
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw SedgateError(
                .configuration, "cannot list the validation rules folder \(path): check its permissions",
                location: .init(file: path), cause: error)
        }
        var schemas: [ContentSchema] = []
        var schematrons: [Schematron] = []
        for name in names where !name.hasPrefix(".") {
            let file = path + "/" + name
            if name.hasSuffix(".xsd") {
                schemas.append(try ContentSchema(path: file, name: folder + "/" + name))
            } else if name.hasSuffix(".sch") {
                schematrons.append(try Schematron(path: file, name: folder + "/" + name))
            }
        }
        return RuleSet(folder: folder, schemas: schemas, schematrons: schematrons)
    }

    /// Applies every content schema to each element inside `<Content>`, then every Schematron file to the SED.
    func validate(_ document: SEDDocument, budget: Int) -> [ValidationReport.Finding] {
        var findings: [ValidationReport.Finding] = []
        if !schemas.isEmpty {
            let content = document.content
            let business = content?.children ?? []
            if business.isEmpty {
                findings.append(
                    .init(
                        severity: .error,
                        message: "<Content> holds no business element, but the rules in \(folder) expect one; "
                            + "put the business document inside <Content>",
                        path: content.map { NodeLocator.path($0.node) } ?? "/SED/Content", line: content?.line,
                        ruleFile: schemas[0].name))
            }
            for element in business {
                for schema in schemas { findings += schema.validate(element) }
            }
        }
        for schematron in schematrons {
            findings += schematron.validate(document.tree, budget: budget)
        }
        return findings
    }
}
