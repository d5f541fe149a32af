// CFF: the common flat-file format, RFC 4180 CSV in UTF-8 with `;`, one header row, the record type in column 1,
// ISO dates and `.` decimals. One header row names every column as `record.field` for all record types; a row
// fills only its own record type's columns and leaves the others empty.

import ConversionFunctions
import SedgateCore

/// The CFF columns of a mapping.
struct CFFColumns {
    /// For each record type, the global column index of each field (nil where the field has no column).
    let columns: [[Int?]]
    /// The header row: `record`, then `record.field` for every field with a column.
    let header: [String]

    init(mapping: Mapping) {
        var header = ["record"]
        var columns: [[Int?]] = []
        for record in mapping.records {
            var own: [Int?] = []
            for field in record.fields {
                if field.inCFF {
                    own.append(header.count)
                    header.append("\(record.name).\(field.name)")
                } else {
                    own.append(nil)
                }
            }
            columns.append(own)
        }
        self.columns = columns
        self.header = header
    }
}

/// Reads CFF rows as records.
struct CFFRecordSource: RecordSource {
    let mapping: Mapping
    let file: String
    var input: ByteSource
    let columns: CFFColumns
    private var row = 0
    private var checkedHeader = false

    init(mapping: Mapping, file: String, input: ByteSource) {
        self.mapping = mapping
        self.file = file
        self.input = input
        columns = CFFColumns(mapping: mapping)
    }

    var bytesRead: Int { input.consumed }

    func position(of field: FieldLayout, in record: RecordLayout) -> (column: Int, phrase: String) {
        guard let layout = mapping.recordIndex[record.name], let index = record.fieldIndex[field.name],
            let column = columns.columns[layout][index]
        else { return (0, "") }
        return (column + 1, "in column \(column + 1) (\(columns.header[column]))")
    }

    mutating func next() throws(SedgateError) -> FlatRecord? {
        if !checkedHeader {
            checkedHeader = true
            guard let header = try readRow() else {
                throw mapping.recordError(
                    file: file, record: 1, "the file is empty; a CFF file starts with a header row")
            }
            guard header == columns.header else {
                let common = min(header.count, columns.header.count)
                let index = (0..<common).first { header[$0] != columns.header[$0] } ?? common
                let found = index < header.count ? "'\(header[index].shownInMessage)'" : "nothing"
                let wanted = index < columns.header.count ? "'\(columns.header[index])'" : "no more columns"
                throw SedgateError(
                    .unsupportedInput,
                    "the header row has \(found) in column \(index + 1) where the mapping \(mapping.name) expects \(wanted); the header must be: \(columns.header.joined(separator: ";"))",
                    location: .init(file: file, column: index + 1, record: 1))
            }
        }
        guard let cells = try readRow() else { return nil }
        let number = row
        guard cells.count == columns.header.count else {
            throw mapping.recordError(
                file: file, record: number,
                "row \(number) has \(cells.count) columns; the header has \(columns.header.count)")
        }
        guard let layoutIndex = mapping.recordIndex[cells[0]] else {
            let known = mapping.records.map(\.name).joined(separator: ", ")
            throw SedgateError(
                .unsupportedInput,
                "row \(number) has the record type '\(cells[0].shownInMessage)' in column 1, which the mapping \(mapping.name) does not know (known: \(known)); correct the file",
                location: .init(file: file, column: 1, record: number))
        }
        let layout = mapping.records[layoutIndex]
        let own = Set(columns.columns[layoutIndex].compactMap { $0 })
        for (index, cell) in cells.enumerated() where index > 0 && !own.contains(index) && !cell.isEmpty {
            throw SedgateError(
                .unsupportedInput,
                "row \(number) is a \(layout.name) row but has a value in column \(index + 1) (\(columns.header[index])), which belongs to another record type; move it or empty the cell",
                location: .init(file: file, column: index + 1, record: number))
        }
        var values: [String?] = []
        for (index, field) in layout.fields.enumerated() {
            guard let column = columns.columns[layoutIndex][index] else {
                values.append(field.constant)
                continue
            }
            do {
                values.append(try logical(field, cells[column]))
            } catch {
                throw mapping.fieldError(
                    file: file, record: number, layout: layout, field: field, column: column + 1,
                    phrase: "in column \(column + 1)", error.message)
            }
        }
        return FlatRecord(number: number, layout: layoutIndex, values: values)
    }

    /// A cell's logical value: numbers at the field's scale, ISO dates checked, text checked for XML.
    private func logical(_ field: FieldLayout, _ cell: String) throws(FieldProblem) -> String? {
        if cell.isEmpty { return nil }
        for scalar in cell.unicodeScalars {
            let value = scalar.value
            if (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || (0x7F...0x9F).contains(value) {
                throw FieldProblem(
                    message:
                        "the control character U+\(String(value, radix: 16, uppercase: true).leftPadded(to: 4, with: "0")) cannot be carried in XML"
                )
            }
        }
        if field.isNumber {
            guard let number = ExactDecimal(cell) else {
                throw FieldProblem(
                    message:
                        "'\(cell.shownInMessage)' is not a number (write digits with '.' for decimals, e.g. -1234.50)")
            }
            do {
                return try number.rescaled(to: field.scale).description
            } catch {
                throw FieldProblem(
                    message: "'\(cell)' has more decimals than PIC \(field.picture) holds (\(field.scale))")
            }
        }
        if field.datePattern != nil {
            do {
                return try mapping.library.call("dt:parse", [cell, "yyyy-MM-dd"])
            } catch {
                throw FieldProblem(
                    message: "'\(cell.shownInMessage)' is not a valid ISO date YYYY-MM-DD (\(error.message))")
            }
        }
        return cell
    }

    /// One CSV row (RFC 4180: quoted cells may hold `;`, quotes doubled, line breaks); nil at the end.
    private mutating func readRow() throws(SedgateError) -> [String]? {
        let delimiter = mapping.cffDelimiter
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false
        var started = false
        var cellStart = true
        var size = 0
        row += 1
        while true {
            let window = try input.peek(1)
            guard let byte = window.first else {
                if quoted {
                    throw mapping.recordError(file: file, record: row, "row \(row) has a quote that is never closed")
                }
                if !started { return nil }
                cells.append(try text(cell))
                return cells
            }
            input.consume(1)
            started = true
            size += 1
            if size > 1 << 20 {
                throw mapping.recordError(file: file, record: row, "row \(row) is longer than 1 MiB")
            }
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if try input.peek(1).first == UInt8(ascii: "\"") {
                        input.consume(1)
                        cell.append(byte)
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where cellStart:
                quoted = true
            case delimiter:
                cells.append(try text(cell))
                cell.removeAll(keepingCapacity: true)
                cellStart = true
                continue
            case 0x0D where try input.peek(1).first == 0x0A:
                continue
            case 0x0A:
                cells.append(try text(cell))
                return cells
            default:
                cell.append(byte)
            }
            cellStart = false
        }
    }

    private func text(_ bytes: [UInt8]) throws(SedgateError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw mapping.recordError(file: file, record: row, "row \(row) is not UTF-8; save the file as UTF-8")
        }
        return text
    }
}

/// Writes CFF rows.
enum CFFWriter {
    /// One row, quoted where RFC 4180 requires, ending in CRLF.
    static func row(_ cells: [String], delimiter: UInt8) -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, cell) in cells.enumerated() {
            if index > 0 { bytes.append(delimiter) }
            let utf8 = Array(cell.utf8)
            if utf8.contains(where: { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
                bytes.append(UInt8(ascii: "\""))
                for byte in utf8 {
                    if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                    bytes.append(byte)
                }
                bytes.append(UInt8(ascii: "\""))
            } else {
                bytes += utf8
            }
        }
        bytes += [0x0D, 0x0A]
        return bytes
    }
}
