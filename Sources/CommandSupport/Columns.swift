// Columns: the plain-text tables the commands print (queue lists, traces, the demo's summary).

/// Left-aligns `text` in a column of `width`.
public func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
