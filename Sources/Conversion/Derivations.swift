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
    /// Entry indices by the record type (its index in `mapping.records`) that scopes, holds and is counted by them.
    private var byScope: [[Int]]
    private var byHolder: [[Int]]
    private var byRecord: [[Int]]

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
        let empty = [[Int]](repeating: [], count: mapping.records.count)
        (byScope, byHolder, byRecord) = (empty, empty, empty)
        for (index, entry) in entries.enumerated() {
            if let scope = entry.scope.flatMap({ mapping.recordIndex[$0] }) { byScope[scope].append(index) }
            if let holder = mapping.recordIndex[entry.holder] { byHolder[holder].append(index) }
            if let record = mapping.recordIndex[entry.derivation.record] { byRecord[record].append(index) }
        }
    }

    /// Starts new groups where `record` (an index in `mapping.records`) is the scope, before the record is counted.
    mutating func begin(_ record: Int) {
        for index in byScope[record] { entries[index].value = .zero }
    }

    /// The current values of the derived fields `record` holds, by field index.
    func values(for record: Int) -> [(field: Int, value: ExactDecimal)] {
        let indices = byHolder[record]
        guard !indices.isEmpty else { return [] }
        return indices.map { (entries[$0].field, entries[$0].value) }
    }

    /// Counts `record` and adds its summed fields; throws a message when a total outgrows 38 digits.
    mutating func count(_ record: Int, values: [String?]) throws(FieldProblem) {
        for index in byRecord[record] {
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
