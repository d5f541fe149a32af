// Charts: bar charts drawn on the server as SVG, each with a text alternative (role="img", a title, and the
// numbers in a table beside it), so the dashboard needs no script and a screen reader reads the same numbers.

/// One series of a bar chart.
struct ChartSeries {
    var name: String
    /// The CSS class of its bars (`bar-out`, `bar-in`, `bar-relay`).
    var style: String
    var values: [Int]
}

enum Charts {
    /// Grouped vertical bars: one group per label, one bar per series.
    static func bars(title: String, axis: String, labels: [String], series: [ChartSeries], id: String) -> String {
        let maximum = max(1, series.flatMap(\.values).max() ?? 1)
        let groupWidth = max(12, series.count * 8 + 6)
        let height = 160
        let width = max(240, labels.count * groupWidth + 48)
        var bars = ""
        for (index, label) in labels.enumerated() {
            let x0 = 40 + index * groupWidth
            for (position, one) in series.enumerated() {
                let value = index < one.values.count ? one.values[index] : 0
                let barHeight = value * (height - 30) / maximum
                bars +=
                    "<rect class=\"\(one.style)\" x=\"\(x0 + position * 8)\" y=\"\(height - 20 - barHeight)\" "
                    + "width=\"7\" height=\"\(barHeight)\"><title>\(esc(label)) \(esc(one.name)): \(value)</title></rect>"
            }
            if labels.count <= 12 || index % max(1, labels.count / 8) == 0 {
                bars += "<text x=\"\(x0)\" y=\"\(height - 5)\">\(esc(label))</text>"
            }
        }
        let legend = series.enumerated().map { position, one in
            "<rect class=\"\(one.style)\" x=\"\(40 + position * 90)\" y=\"2\" width=\"10\" height=\"10\"></rect>"
                + "<text x=\"\(54 + position * 90)\" y=\"12\">\(esc(one.name))</text>"
        }.joined()
        let svg =
            "<svg role=\"img\" aria-labelledby=\"\(id)-title\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\"><title id=\"\(id)-title\">\(esc(title)); the table below has the "
            + "numbers</title><text x=\"0\" y=\"\(height - 20)\">0</text><text x=\"0\" y=\"22\">\(maximum)</text>"
            + "<line x1=\"38\" y1=\"\(height - 20)\" x2=\"\(width)\" y2=\"\(height - 20)\" stroke=\"#767676\"></line>"
            + legend + bars + "</svg>"
        let rows = labels.enumerated().map { index, label in
            [label] + series.map { index < $0.values.count ? String($0.values[index]) : "0" }
        }
        let table = Layout.table(caption: title + " (numbers)", headers: [axis] + series.map(\.name), rows: rows)
        return "<figure>\(svg)<details><summary>\(esc(title)) as a table</summary>\(table)</details></figure>"
    }
}
