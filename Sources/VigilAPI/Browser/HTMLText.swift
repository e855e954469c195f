/// Text made safe for HTML. `escape` is for any value placed in markup or an attribute; `inert` is for untrusted
/// log text: it escapes, and also shows what a terminal or a bidi-aware renderer would act on (control characters,
/// ANSI escapes, bidi overrides and isolates, zero-width characters) as visible `\xNN` / `\u{XXXX}` marks, so a line
/// can neither run markup nor reorder or hide what is around it.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { append(scalar, to: &out) }
        return out
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(scalar)
        }
    }

    /// Escaped, with every character that could act shown as a mark: `<span class="esc">\x1B</span>`.
    static func inert(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let mark = mark(scalar) {
                out += "<span class=\"esc\">" + mark + "</span>"
            } else {
                append(scalar, to: &out)
            }
        }
        return out
    }

    /// How a character that acts rather than shows is written instead; nil for ordinary characters (tab included).
    static func mark(_ scalar: Unicode.Scalar) -> String? {
        let value = scalar.value
        if value == 0x09 { return nil }
        if value < 0x20 || (0x7F...0x9F).contains(value) { return "\\x" + hex(value, width: 2) }
        // Bidi embeddings, overrides and isolates; zero-width and invisible formatting characters; the BOM.
        if (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F
            || value == 0x061C || (0x200B...0x200D).contains(value) || value == 0x2060 || value == 0xFEFF || (0x2028...0x2029).contains(value) {
            return "\\u{" + hex(value, width: 4) + "}"
        }
        return nil
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
