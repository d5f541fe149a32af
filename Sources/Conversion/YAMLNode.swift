// YAMLNode: reading a mapping file with Yams' Node API, every scalar as the text written (NO stays "NO",
// 012 stays "012"), with the line of each node for error messages.

import SedgateCore
import Yams

/// A YAML node reduced to what mappings use: text, ordered key/value pairs, or a list; each with its line.
indirect enum YAMLValue {
    case text(String, line: Int)
    case pairs([(key: String, keyLine: Int, value: YAMLValue)], line: Int)
    case list([YAMLValue], line: Int)

    var line: Int {
        switch self {
        case .text(_, let line), .pairs(_, let line), .list(_, let line): return line
        }
    }

    /// The text of a scalar, nil for a mapping or a list.
    var text: String? {
        if case .text(let value, _) = self { return value }
        return nil
    }

    /// The pairs of a mapping, nil otherwise.
    var pairs: [(key: String, keyLine: Int, value: YAMLValue)]? {
        if case .pairs(let pairs, _) = self { return pairs }
        return nil
    }

    /// The value under `key` in a mapping.
    subscript(key: String) -> YAMLValue? {
        pairs?.first { $0.key == key }?.value
    }

    /// Parses YAML text; aliases are resolved by Yams, tags are ignored (every scalar is text).
    static func parse(_ yaml: String, file: String) throws(SedgateError) -> YAMLValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw SedgateError(
                .configuration, "the mapping is not valid YAML: \(error); fix the indentation or quoting there",
                location: .init(file: file))
        } catch {
            throw SedgateError(.configuration, "the mapping is not valid YAML: \(error)", location: .init(file: file))
        }
        guard let node else {
            throw SedgateError(.configuration, "the mapping file is empty", location: .init(file: file, line: 1))
        }
        return convert(node)
    }

    private static func convert(_ node: Node) -> YAMLValue {
        let line = (node.mark?.line ?? 0)
        switch node {
        case .scalar(let scalar):
            return .text(scalar.string, line: line)
        case .mapping(let mapping):
            return .pairs(
                mapping.map { pair in
                    (
                        key: pair.key.scalar?.string ?? "", keyLine: pair.key.mark?.line ?? line,
                        value: convert(pair.value)
                    )
                }, line: line)
        case .sequence(let sequence):
            return .list(sequence.map { convert($0) }, line: line)
        case .alias:
            return .text("", line: line)
        }
    }
}
