// LayoutTable: a text table of each record's fields with offset, length, PIC and usage (like cb2xml), for an
// administrator to check a mapping against the legacy record description.

/// Renders `sedgate mapping layout`.
enum LayoutTable {
    static func render(_ mapping: Mapping, profile: FlatProfile) -> String {
        var lines: [String] = []
        lines.append(
            "mapping \(mapping.name) \(mapping.version) (\(mapping.path.split(separator: "/").last.map(String.init) ?? mapping.path))"
        )
        switch profile {
        case .mtf:
            if let mtf = mapping.mtf {
                lines.append(
                    "MTF: \(mtf.charset.name), \(mtf.recordLength)-byte records, separator \(mtf.separator.rawValue), record type at \(mtf.dispatchOffset + 1) length \(mtf.dispatchLength)"
                )
            } else {
                lines.append("MTF: (no flat.mtf profile)")
            }
        case .cff:
            lines.append(
                "CFF: UTF-8 CSV, delimiter '\(String(UnicodeScalar(mapping.cffDelimiter)))', header row, record type in column 1"
            )
        }
        lines.append("structure: \(mapping.structure.text); one SED per \(mapping.sed.unit)")
        let cff = CFFColumns(mapping: mapping)
        for (recordIndex, record) in mapping.records.enumerated() {
            lines.append("")
            lines.append("record \(record.name), key '\(record.key)'" + (record.parent.map { ", under \($0)" } ?? ""))
            var table: [[String]] = []
            if profile == .mtf {
                table.append(["field", "start", "end", "length", "pic", "usage", "notes"])
            } else {
                table.append(["field", "column", "type", "notes"])
            }
            for (index, field) in record.fields.enumerated() {
                var notes: [String] = []
                if let constant = field.constant { notes.append("const '\(constant)'") }
                if let pattern = field.datePattern {
                    notes.append("date \(pattern)" + (field.pivot.map { " pivot \($0)" } ?? ""))
                }
                if let derive = field.derive { notes.append("derive \(derive)") }
                if !field.nulls.isEmpty {
                    notes.append("nulls " + field.nulls.map { "'\($0)'" }.joined(separator: ","))
                }
                if field.truncate { notes.append("truncate") }
                if let fill = field.opaqueFill {
                    notes.append("opaque (not read, not carried), written as \(fill.rawValue)")
                } else if field.ignored {
                    notes.append("not carried")
                }
                if field.isNumber, case .number(_, _, true) = field.picture.kind, field.usage == .display {
                    notes.append("sign \(field.sign.rawValue)")
                }
                if profile == .mtf {
                    table.append([
                        field.name, String(field.offset + 1), String(field.offset + field.length), String(field.length),
                        field.picture.text, field.usage == .packed ? "comp-3" : "display",
                        notes.joined(separator: "; "),
                    ])
                } else {
                    guard let column = cff.columns[recordIndex][index] else { continue }
                    let type =
                        field.datePattern != nil
                        ? "date YYYY-MM-DD" : field.isNumber ? "decimal, \(field.scale) places" : "text"
                    table.append([field.name, String(column + 1), type, notes.joined(separator: "; ")])
                }
            }
            let widths = (0..<table[0].count).map { column in table.map { $0[column].count }.max() ?? 0 }
            for row in table {
                let cells = row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
                }
                var line = "  " + cells.joined(separator: "  ")
                while line.hasSuffix(" ") { line.removeLast() }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
