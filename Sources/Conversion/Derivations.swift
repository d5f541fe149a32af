// Derivations: the running counts and control totals behind `derive:` fields, computed while writing and
// checked while reading. A derived field in a record with a parent counts within the current parent group;
// one in a record without a parent counts over the whole file.

import SedgateCore

/// The running values of every derived field of a mapping.
struct Derivations {
    struct Entry {
        let holder: String
        let field: Int
        let derivation: Derivation
        /// The record type whose arrival starts a new group (nil: the whole file).
        let scope: String?
        let summedField: Int?
        var value: ExactDecimal = .zero
    }

    private(set) var entries: [Entry] = []
    /// Entry indices by the record type that scopes, holds and is counted by them.
    private var byScope: [String: [Int]] = [:]
    private var byHolder: [String: [Int]] = [:]
    private var byRecord: [String: [Int]] = [:]

    init(mapping: Mapping) {
        for record in mapping.records {
            for (index, field) in record.fields.enumerated() {
                guard let derivation = field.derive else { continue }
                var summed: Int?
                if case .sum(let target, let name) = derivation { summed = mapping.record(target)?.fieldIndex[name] }
                entries.append(
                    Entry(
                        holder: record.name, field: index, derivation: derivation, scope: record.parent,
                        summedField: summed))
            }
        }
        for (index, entry) in entries.enumerated() {
            if let scope = entry.scope { byScope[scope, default: []].append(index) }
            byHolder[entry.holder, default: []].append(index)
            byRecord[entry.derivation.record, default: []].append(index)
        }
    }

    /// Starts new groups where `record` is the scope, before the record is counted.
    mutating func begin(_ record: String) {
        guard !entries.isEmpty, let indices = byScope[record] else { return }
        for index in indices { entries[index].value = .zero }
    }

    /// The current values of the derived fields `record` holds, by field index.
    func values(for record: String) -> [(field: Int, value: ExactDecimal)] {
        guard !entries.isEmpty, let indices = byHolder[record] else { return [] }
        return indices.map { (entries[$0].field, entries[$0].value) }
    }

    /// Counts `record` and adds its summed fields; throws a message when a total outgrows 38 digits.
    mutating func count(_ record: String, values: [String?]) throws(FieldProblem) {
        guard !entries.isEmpty, let indices = byRecord[record] else { return }
        for index in indices {
            var add = ExactDecimal(1)
            if let summed = entries[index].summedField {
                guard let text = values[summed], let amount = ExactDecimal(text) else { continue }
                add = amount
            }
            do {
                entries[index].value = try entries[index].value + add
            } catch {
                throw FieldProblem(message: "the control total \(entries[index].derivation) outgrows 38 digits")
            }
        }
    }
}
