// SEDValidator: validates SEDs against the content XSD and Schematron rules for their type and version, read from
// a rules directory that administrators add to without rebuilding (`etc/validation/<SedType>/<SedVersion>/`).

import Foundation
public import SedgateCore
import Synchronization

/// Validates SEDs with the rules in a directory laid out as `<SedType>/<SedVersion>/*.xsd|*.sch` plus `default/`.
///
/// The `*.xsd` files of a version folder are applied to the business element inside `<Content>` (the envelope
/// schema is already applied by `SEDReader`); its `*.sch` files and those of `default/` to the whole SED. Rule sets
/// are compiled once and cached per type and version; every folder present at `init` is compiled then, so a bad
/// rule file stops start-up with a `.configuration` error naming it. A folder added later is loaded on the first
/// SED that needs it; `reload()` re-reads everything. Safe to use from many tasks at once.
public final class SEDValidator: Sendable {
    /// The rules directory, e.g. `etc/validation`.
    public let rulesDirectory: String
    /// The XPath step budget for each Schematron file on each document (see `Schematron.defaultBudget`).
    public let budget: Int

    /// The compiled rules: `default/` and each `type/version` folder loaded so far.
    private struct Rules: Sendable {
        var common: RuleSet?
        var byVersion: [String: RuleSet]
    }

    private let rules: Mutex<Rules>

    /// Compiles every rule folder under `rulesDirectory`; throws `.configuration` if the directory is missing or a
    /// rule file is unreadable, malformed or holds an XPath or XSD that does not compile (file and line named).
    public init(rulesDirectory: String, budget: Int = Schematron.defaultBudget) throws(SedgateError) {
        self.rulesDirectory = rulesDirectory
        self.budget = budget
        self.rules = Mutex(try Self.loadAll(rulesDirectory))
    }

    /// Re-reads every rule folder (e.g. after an administrator changed a rule); on error the old rules stay.
    public func reload() throws(SedgateError) {
        let fresh = try Self.loadAll(rulesDirectory)
        rules.withLock { $0 = fresh }
    }

    /// Validates `document` with the `default/` rules and those of its SED type and version.
    ///
    /// A type and version without a rules folder is valid with an info finding ("no rules for P001 4.2"): whether
    /// to accept such SEDs is the policy's decision. Never throws: a rule folder added since start-up that cannot be
    /// loaded gives an error finding with code `.configuration`.
    public func validate(_ document: SEDDocument) -> ValidationReport {
        let type = document.envelope.sedType
        let version = document.envelope.sedVersion
        var report = ValidationReport(source: document.source, sedType: type, sedVersion: version)
        let (common, specific) = ruleSets(type: type, version: version, report: &report)
        for set in [common, specific].compactMap(\.self) {
            report.rulesApplied += set.files
            report.findings += set.validate(document, budget: budget)
        }
        return report
    }

    /// The default rule set and the one for `type`/`version`, loading the latter if it appeared since start-up.
    private func ruleSets(
        type: String, version: String, report: inout ValidationReport
    ) -> (RuleSet?, RuleSet?) {
        let key = type + "/" + version
        let (common, cached) = rules.withLock { ($0.common, $0.byVersion[key]) }
        if let cached { return (common, cached) }
        guard Self.isFolderName(type), Self.isFolderName(version),
            Self.isDirectory(rulesDirectory + "/" + key)
        else {
            report.findings.append(
                .init(
                    severity: .info,
                    message: "no rules for \(type) \(version): there is no folder \(key) in \(rulesDirectory), so "
                        + "only the default rules were applied",
                    code: .schemaViolation))
            return (common, nil)
        }
        do {
            let loaded = try RuleSet.load(directory: rulesDirectory, folder: key)
            // Another task may have loaded it meanwhile; keep the first so all share one compiled set.
            let shared = rules.withLock { state in
                if let first = state.byVersion[key] { return first }
                state.byVersion[key] = loaded
                return loaded
            }
            return (common, shared)
        } catch {
            report.findings.append(
                .init(
                    severity: .error, message: "the rules for \(type) \(version) cannot be loaded: \(error.message)",
                    line: nil, ruleFile: error.location?.file, ruleLine: error.location?.line, code: .configuration))
            return (common, nil)
        }
    }

    /// Compiles `default/` and every `<type>/<version>/` folder of `directory`.
    private static func loadAll(_ directory: String) throws(SedgateError) -> Rules {
        guard isDirectory(directory) else {
            throw SedgateError(
                .configuration,
                "the validation rules directory \(directory) does not exist; create it (see etc/validation/README.md)"
                    + " or point the configuration at it",
                location: .init(file: directory))
        }
        var result = Rules(common: nil, byVersion: [:])
        if isDirectory(directory + "/default") {
            result.common = try RuleSet.load(directory: directory, folder: "default")
        }
        for type in folders(in: directory) where type != "default" {
            for version in folders(in: directory + "/" + type) {
                let key = type + "/" + version
                result.byVersion[key] = try RuleSet.load(directory: directory, folder: key)
            }
        }
        return result
    }

    /// The sub-folders of `path` whose names could be a SED type or version, sorted.
    private static func folders(in path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { isFolderName($0) && isDirectory(path + "/" + $0) }.sorted()
    }

    /// Whether `name` is safe as one folder name: letters, digits, `.`, `_`, `-`, not starting with a dot (the
    /// type and version come from the document, so `..` must never reach the file system).
    private static func isFolderName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
                        || scalar == "." || scalar == "_" || scalar == "-")
            }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
