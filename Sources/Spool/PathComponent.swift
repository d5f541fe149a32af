// PathComponent: turning arbitrary text into one safe file-name component. Pure; touches no files.

/// Makes text safe as one path component: no `/`, no leading dot, no control characters, bounded length.
public enum PathComponent {
    /// The longest component produced, in UTF-8 bytes (file systems allow 255; room is left for `-N` and `.error`).
    static let maxBytes = 200

    /// `text` made safe: `:` becomes `-` (addresses read well); `/`, `\`, NUL and control characters become `_`;
    /// leading dots become `_` (so `.` and `..` cannot occur); capped at `maxBytes`; never empty.
    public static func safe(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var leading = true
        for scalar in text.unicodeScalars {
            let replaced: Unicode.Scalar
            switch scalar {
            case ":": replaced = "-"
            case "/", "\\": replaced = "_"
            case "." where leading: replaced = "_"
            default:
                switch scalar.properties.generalCategory {
                case .control, .lineSeparator, .paragraphSeparator: replaced = "_"
                default: replaced = scalar
                }
            }
            leading = leading && scalar == "."
            scalars.append(replaced)
        }
        let result = String(scalars)
        return result.isEmpty ? "unnamed" : capped(result)
    }

    /// `name` cut to `maxBytes`, keeping a short extension (`.xml`) so the kind of file still shows.
    static func capped(_ name: String) -> String {
        guard name.utf8.count > maxBytes else { return name }
        let (stem, ext) = split(name)
        let keep = ext.utf8.count <= 16 ? ext : ""
        var cut = ""
        for character in stem {
            if cut.utf8.count + String(character).utf8.count + keep.utf8.count > maxBytes { break }
            cut.append(character)
        }
        return cut + keep
    }

    /// `name` with `-number` before its extension: `a.xml` → `a-2.xml`, `a` → `a-2`.
    static func numbered(_ name: String, _ number: Int) -> String {
        let (stem, ext) = split(name)
        return "\(stem)-\(number)\(ext)"
    }

    /// Splits at the last dot that is not the first character: `a.tar.gz` → (`a.tar`, `.gz`).
    static func split(_ name: String) -> (stem: String, ext: String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }

    /// A relative spool name (`profile/x.xml`) flattened into one component (`profile__x.xml`), made safe.
    static func flat(_ relativePath: String) -> String {
        safe(relativePath.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "__"))
    }
}
