// Schematron: one ISO Schematron rule file (XPath 1.0 subset), loaded safely and compiled once, run on documents.

import CLibXML2
import Foundation
public import SedgateCore
import Synchronization

/// A compiled Schematron schema: patterns of rules whose asserts and reports become validation findings.
///
/// Supported (the ISO subset sedgate evaluates directly with libxml2 XPath 1.0, without an XSLT skeleton):
/// `sch:schema` with `sch:ns` and `sch:let`; `sch:pattern` (with `id` and `sch:let`); `sch:rule context=` (the first
/// rule of a pattern that matches a node checks it); `sch:let` in rules; `sch:assert` and `sch:report` with `test`,
/// `id`, `role` or `flag` (`warning`, `info`, else error), and messages with `sch:value-of select=` and `sch:name`.
/// `sch:title`, `sch:p`, `sch:phase` and `sch:diagnostics` are ignored; abstract patterns and rules, includes and
/// XSLT are refused when loading.
///
/// Reads the file through `XMLTree`'s safe parser and compiles every XPath at load, so a bad rule file is refused
/// at once with `.configuration` naming the file, line and expression. Safe to share between tasks: each
/// validation borrows its own compiled copy of the expressions.
public final class Schematron: Sendable {
    /// The default number of XPath steps (nodes visited and operations) one rule file may take on one document.
    ///
    /// Ample for ordinary rules (the shipped P001 rules take a few thousand on the sample). libxml2 2.9 does not
    /// count the duplicate removal between steps, so a pathological rule such as `//*//*//*...` on a document of
    /// tens of thousands of elements still runs a few seconds before this budget stops it.
    public static let defaultBudget = 1_000_000

    /// The file the rules were read from (or the source name given), used in load errors.
    public let source: String
    /// The name findings show as their rule file (e.g. `P001/1.0/p001.sch`).
    public let name: String
    let rules: SchematronRules
    /// Compiled copies not in use; one is borrowed per validation (libxml2 writes caches into compiled XPath).
    private let idle: Mutex<[SchematronProgram]>

    /// Loads the Schematron file at `path`; `name` (default: the path) is how findings refer to it.
    ///
    /// Throws `.configuration` when the file cannot be read, is not well-formed, uses an unsupported feature, or
    /// holds an XPath that does not compile (the message names the line and the expression).
    public convenience init(path: String, name: String? = nil) throws(SedgateError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SedgateError(
                .configuration, "cannot read the Schematron file \(path); check that it exists and is readable",
                location: .init(file: path))
        }
        try self.init(bytes: Array(data), source: path, name: name)
    }

    /// Loads Schematron rules from `bytes`; `source` names them in errors and `name` (default `source`) in findings.
    public init(bytes: [UInt8], source: String, name: String? = nil) throws(SedgateError) {
        let tree: XMLTree
        do {
            tree = try XMLTree.parse(bytes, source: source)
        } catch {
            throw SedgateError(
                .configuration, "the Schematron file \(source) cannot be read as XML: \(error.message)",
                location: error.location, cause: error)
        }
        let rules = try SchematronLoader.load(tree)
        let program = try SchematronProgram(compiling: rules)
        self.source = source
        self.name = name ?? source
        self.rules = rules
        self.idle = Mutex([program])
    }

    /// Checks `tree` against the rules; returns the findings (empty when every assert holds and no report fires).
    ///
    /// `budget` bounds the XPath steps for the whole file on this document; when it runs out, evaluation stops
    /// with an error finding (code `.configuration`) instead of running on.
    public func validate(_ tree: XMLTree, budget: Int = Schematron.defaultBudget) -> [ValidationReport.Finding] {
        let borrowed: SchematronProgram
        if let program = idle.withLock({ $0.popLast() }) {
            borrowed = program
        } else {
            do {
                borrowed = try SchematronProgram(compiling: rules)
            } catch {
                // It compiled at load; only a failed allocation can get here.
                return [.init(severity: .error, message: error.message, ruleFile: name, code: error.code)]
            }
        }
        defer { idle.withLock { $0.append(borrowed) } }
        return SchematronEvaluation.run(rules, program: borrowed, tree: tree, name: name, budget: budget)
    }
}
