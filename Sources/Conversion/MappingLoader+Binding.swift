// MappingLoader+Binding: the `sed:` part (unit, content root, envelope) and the `bind:` part of a mapping file.

import ConversionFunctions
import SedgateCore

extension MappingLoader {
    mutating func qualifiedName(
        _ text: String, namespaces: [(prefix: String, uri: String)], line: Int
    ) -> QName? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ Self.isXMLName($0) }) else {
            fail(line, "'\(text)' is not an XML name (letters, digits, '-', '_', '.', with an optional prefix:)")
            return nil
        }
        guard parts.count == 2 else { return QName(prefix: nil, local: text, namespace: nil) }
        let prefix = String(parts[0])
        guard let uri = namespaces.first(where: { $0.prefix == prefix })?.uri else {
            fail(line, "the prefix '\(prefix)' in '\(text)' is not declared under namespaces:")
            return nil
        }
        return QName(prefix: prefix, local: String(parts[1]), namespace: uri)
    }

    static func isXMLName(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
        }
    }

    mutating func elementPath(_ text: String, namespaces: [(prefix: String, uri: String)], line: Int) -> ElementPath? {
        var steps: [QName] = []
        var attribute: QName?
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            if part.hasPrefix("@") && index == parts.count - 1 {
                guard let name = qualifiedName(String(part.dropFirst()), namespaces: namespaces, line: line) else {
                    return nil
                }
                attribute = name
            } else {
                guard let name = qualifiedName(String(part), namespaces: namespaces, line: line) else { return nil }
                steps.append(name)
            }
        }
        return ElementPath(steps: steps, attribute: attribute, text: text)
    }

    mutating func loadSED(
        _ value: YAMLValue?, records: [RecordLayout], recordIndex: [String: Int],
        namespaces: [(prefix: String, uri: String)]
    ) -> SEDSpec? {
        guard let value else {
            fail(nil, "the key 'sed' (unit, content, envelope) is missing; add it")
            return nil
        }
        checkKeys(value, ["unit", "content", "envelope"], in: "sed")
        let unit = text(value["unit"], "sed.unit (the record that makes one SED)", required: value.line) ?? ""
        if !unit.isEmpty && recordIndex[unit] == nil {
            fail(value["unit"]?.line, "sed.unit names '\(unit)', which is not a record")
        }
        let contentText =
            text(value["content"], "sed.content (the element under <Content>)", required: value.line) ?? ""
        let contentRoot = qualifiedName(contentText, namespaces: namespaces, line: value["content"]?.line ?? value.line)
        var envelope: [(field: EnvelopeField, template: Template)] = []
        for pair in value["envelope"]?.pairs ?? [] {
            guard let field = EnvelopeField(xmlName: pair.key) else {
                let known = EnvelopeField.allCases.map(\.xmlName).joined(separator: ", ")
                fail(pair.keyLine, "sed.envelope: '\(pair.key)' is not an envelope field; use one of \(known)")
                continue
            }
            guard let templateText = text(pair.value, "sed.envelope.\(pair.key)"),
                let template = Template(templateText)
            else {
                fail(pair.keyLine, "sed.envelope.\(pair.key) must be text with {record.field} references")
                continue
            }
            for case .field(let record, let name) in template.parts {
                if recordIndex[record].flatMap({ records[$0].field(name) }) == nil {
                    fail(pair.keyLine, "sed.envelope.\(pair.key) refers to {\(record).\(name)}, which is not a field")
                }
            }
            envelope.append((field, template))
        }
        for field in EnvelopeField.required where !envelope.contains(where: { $0.field == field }) {
            fail(value["envelope"]?.line ?? value.line, "sed.envelope lacks \(field.xmlName); every SED needs it")
        }
        guard let contentRoot, !unit.isEmpty else { return nil }
        return SEDSpec(unit: unit, contentRoot: contentRoot, envelope: envelope)
    }

    mutating func function(_ text: String?, line: Int, context: String) -> FunctionCall? {
        guard let text else { return nil }
        guard let call = FunctionCall(text) else {
            fail(line, "\(context): '\(text)' is not a function call such as code:lookup(gender, .)")
            return nil
        }
        let literals = call.arguments.map { (argument) -> String? in
            if case .literal(let text) = argument { return text }
            return nil
        }
        if let problem = library.problem(calling: call.name, with: literals) {
            fail(line, "\(context): \(problem)")
        }
        return call
    }

    mutating func loadBindings(
        _ value: YAMLValue?, records: [RecordLayout], recordIndex: [String: Int],
        namespaces: [(prefix: String, uri: String)], chain: [String], descendants: Set<String>
    ) -> [String: RecordBinding] {
        var result: [String: RecordBinding] = [:]
        for pair in value?.pairs ?? [] {
            guard let index = recordIndex[pair.key] else {
                fail(pair.keyLine, "bind: '\(pair.key)' is not a record")
                continue
            }
            let record = records[index]
            guard chain.contains(record.name) || descendants.contains(record.name) else {
                fail(
                    pair.keyLine,
                    "bind: record '\(record.name)' is neither the SED unit, above it nor below it, so it belongs to no SED; use const/derive/default for its fields"
                )
                continue
            }
            var repeatPath: ElementPath?
            var map = pair.value
            if descendants.contains(record.name) {
                checkKeys(pair.value, ["repeat", "map"], in: "bind.\(record.name)")
                guard
                    let repeatText = text(
                        pair.value["repeat"], "bind.\(record.name).repeat (the element made per record)",
                        required: pair.keyLine),
                    let path = elementPath(
                        repeatText, namespaces: namespaces, line: pair.value["repeat"]?.line ?? pair.keyLine),
                    path.attribute == nil, !path.steps.isEmpty
                else { continue }
                repeatPath = path
                map = pair.value["map"] ?? .pairs([], line: pair.keyLine)
            }
            var entries: [FieldBinding] = []
            for entry in map.pairs ?? [] {
                let context = "bind.\(record.name).\(entry.key)"
                guard let path = elementPath(entry.key, namespaces: namespaces, line: entry.keyLine) else { continue }
                if path.steps.isEmpty && repeatPath == nil {
                    fail(entry.keyLine, "\(context): give an element path under the content root")
                    continue
                }
                checkKeys(entry.value, ["field", "value", "codec", "read", "write", "one-way"], in: context)
                let field = text(entry.value["field"], "\(context): field")
                let constant = text(entry.value["value"], "\(context): value")
                if let field, record.field(field) == nil {
                    fail(entry.keyLine, "\(context): record '\(record.name)' has no field '\(field)'")
                } else if let field, record.field(field)?.opaqueFill != nil {
                    fail(
                        entry.keyLine,
                        "\(context): the field '\(field)' is opaque (its bytes are never read), so it cannot be bound; "
                            + "remove opaque: true or the binding")
                }
                if (field == nil) == (constant == nil) {
                    fail(entry.keyLine, "\(context): give either field: (a record field) or value: (a constant)")
                    continue
                }
                var read = function(
                    text(entry.value["read"], "\(context): read"), line: entry.keyLine, context: context)
                var write = function(
                    text(entry.value["write"], "\(context): write"), line: entry.keyLine, context: context)
                if let codec = text(entry.value["codec"], "\(context): codec") {
                    if codec.hasPrefix("list:") {
                        let list = String(codec.dropFirst(5))
                        if let problem = library.codeListProblem(list, reverse: true) {
                            fail(entry.keyLine, "\(context): codec '\(codec)': \(problem)")
                        }
                        read = FunctionCall("code:lookup(\(list), .)")
                        write = FunctionCall("code:reverse(\(list), .)")
                    } else if let inverse = Self.codecs[codec] {
                        read = function(codec, line: entry.keyLine, context: context)
                        write = function(inverse, line: entry.keyLine, context: context)
                    } else {
                        fail(
                            entry.keyLine,
                            "\(context): codec '\(codec)' is not an invertible pair; use list:NAME, \(Self.codecs.keys.sorted().joined(separator: ", ")), or read:/write:"
                        )
                    }
                }
                let declaredOneWay = text(entry.value["one-way"], "\(context): one-way") == "true"
                if field != nil && (read == nil) != (write == nil) && !declaredOneWay {
                    fail(
                        entry.keyLine,
                        "\(context): read: without write: (or the reverse) converts one way only; add the inverse, or say one-way: true"
                    )
                }
                entries.append(
                    FieldBinding(
                        path: path, field: field, constant: constant, read: read, write: write,
                        oneWay: declaredOneWay || constant != nil, line: entry.keyLine))
            }
            result[record.name] = RecordBinding(record: record.name, repeatPath: repeatPath, entries: entries)
        }
        for name in descendants where result[name] == nil {
            fail(
                recordIndex[name].map { records[$0].line },
                "record '\(name)' is below the SED unit but has no bind: entry with repeat:")
        }
        return result
    }

    /// Every field must go somewhere, or the round trip would lose it silently.
    mutating func checkUnbound(
        records: [RecordLayout], bindings: [String: RecordBinding], sed: SEDSpec?, chain: [String],
        descendants: Set<String>
    ) {
        for record in records {
            let bound = Set(
                (bindings[record.name]?.entries ?? []).filter { !$0.oneWay || $0.write != nil }.compactMap(\.field))
            for field in record.fields
            where field.constant == nil && field.derive == nil && !field.ignored && field.defaultValue == nil
                && !bound.contains(field.name)
            {
                fail(
                    field.line,
                    "field '\(field.name)' of record '\(record.name)' is not bound both ways, constant, derived or ignored: its value would be lost in the round trip. Bind it under bind.\(record.name), or give it const:, derive:, default: or ignore: true"
                )
            }
        }
    }
}
