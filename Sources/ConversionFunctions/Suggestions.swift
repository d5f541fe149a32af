// Suggestions: "did you mean" phrases for unknown names, by edit distance.

/// Finds the known names closest to a misspelt one.
enum Suggestions {
    /// `; did you mean dt:parse or dt:format?`, or an empty string when nothing is close.
    static func phrase(for name: String, among known: [String]) -> String {
        let close = closest(to: name, among: known)
        return close.isEmpty ? "" : " (did you mean \(close.joined(separator: " or "))?)"
    }

    /// Up to three names within a small edit distance of `name`, best first; same local name counts as close.
    static func closest(to name: String, among known: [String], limit: Int = 3) -> [String] {
        let local = name.split(separator: ":").last.map(String.init) ?? name
        let scored = known.map { candidate -> (String, Int) in
            let candidateLocal = candidate.split(separator: ":").last.map(String.init) ?? candidate
            let distance = min(distanceBetween(name, candidate), candidateLocal == local ? 0 : Int.max)
            return (candidate, distance)
        }
        let threshold = max(2, name.count / 3)
        return scored.filter { $0.1 <= threshold }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// Levenshtein distance over Unicode scalars.
    static func distanceBetween(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars)
        let y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
