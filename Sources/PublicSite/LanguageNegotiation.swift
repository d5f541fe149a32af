// LanguageNegotiation: which of the site's languages a visitor's Accept-Language asks for (RFC 9110 §12.5.4 weights,
// primary subtags: `de-AT` asks for `de`), English when none of them.

import Foundation

/// Picks the interface language of a first visit.
enum LanguageNegotiation {
    /// The best of `languages` for `header` (`fr-BE, fr;q=0.9, en;q=0.5`); ties go to the first listed.
    static func choose(_ header: String?, among languages: [String]) -> String {
        let fallback = languages.contains("en") ? "en" : languages.first ?? "en"
        guard let header else { return fallback }
        var best: (language: String, weight: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased(), !tag.isEmpty else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            let primary = String(tag.split(separator: "-").first ?? "")
            guard weight > 0, languages.contains(primary) else { continue }
            if best == nil || weight > best!.weight { best = (primary, weight) }
        }
        return best?.language ?? fallback
    }
}
