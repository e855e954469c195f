import Foundation
import VigilCore

/// String renderings Spark defines: `mask`, Java's `Double.toString`, and the text of each value in the
/// Statement Execution API's `data_array`.
public enum SparkStrings {
    public static func mask(_ value: String) -> String {
        String(value.map { character -> Character in
            if character.isUppercase { return "X" }
            if character.isLowercase { return "x" }
            if character.isNumber { return "n" }
            return character
        })
    }

    /// Java's `Double.toString`: `1.0`, `0.1`, `1.0E10`, `1.0E-5`, `NaN`, `Infinity`.
    public static func doubleToString(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let magnitude = abs(value)
        if magnitude >= 1e-3 && magnitude < 1e7 {
            var text = "\(value)"
            if text.contains("e") { text = String(format: "%.17g", value) }
            if !text.contains(".") { text += ".0" }
            return text
        }
        // Scientific: shortest digits, mantissa with at least one decimal.
        let shortest = "\(value)"  // Swift prints the shortest round-trip digits, e.g. 1e+10 or 1.5e-05
        let parts = shortest.lowercased().split(separator: "e")
        var mantissa = String(parts[0])
        var exponent = parts.count > 1 ? Int(parts[1].replacingOccurrences(of: "+", with: "")) ?? 0 : 0
        if parts.count == 1 {
            // Swift printed it without an exponent: normalise.
            let digits = mantissa.replacingOccurrences(of: "-", with: "")
            let integerPart = digits.split(separator: ".")[0]
            exponent = integerPart.count - 1
            let all = digits.replacingOccurrences(of: ".", with: "")
            var trimmed = Substring(all)
            while trimmed.hasSuffix("0"), trimmed.count > 1 { trimmed = trimmed.dropLast() }
            mantissa = (value < 0 ? "-" : "") + String(trimmed.prefix(1)) + "." + (trimmed.count > 1 ? String(trimmed.dropFirst()) : "0")
        }
        if !mantissa.contains(".") { mantissa += ".0" }
        return mantissa + "E" + String(exponent)
    }

    /// A DECIMAL's text: rounded half-up to `scale` digits and printed with exactly that many, as Spark prints
    /// `java.math.BigDecimal` (`3`, `3.0`, `12.345679`).
    public static func decimalString(_ value: Double, scale: Int) -> String {
        guard value.isFinite, var exact = Decimal(string: "\(value)") ?? Optional(Decimal(value)) else { return doubleToString(value) }
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, scale, .plain)
        var text = NSDecimalNumber(decimal: rounded).stringValue
        guard scale > 0 else { return text }
        if !text.contains(".") { text += "." }
        let fraction = text.count - 1 - (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? 0)
        if fraction < scale { text += String(repeating: "0", count: scale - fraction) }
        return text
    }

    /// A value as the Statement Execution API shows it: a string, or nil for NULL.
    public static func render(_ value: SQLValue, as type: SparkType) -> String? {
        switch value {
        case .null:
            return nil
        case .integer(let number):
            switch type {
            case .decimal(_, let scale): return decimalString(Double(number), scale: scale)
            case .boolean: return number != 0 ? "true" : "false"
            case .timestamp: return SparkDateTime.isoString(millis: number)
            case .double: return doubleToString(Double(number))
            default: return String(number)
            }
        case .real(let number):
            switch type {
            case .decimal(_, let scale): return decimalString(number, scale: scale)
            // The store never hands over a REAL for an integral column (ResultCheck); if one came, it is printed
            // as the number it is rather than trapped on.
            case .int, .bigint: return Int64(exactly: number).map { String($0) } ?? doubleToString(number)
            default: return doubleToString(number)
            }
        case .text(let text):
            switch type {
            case .array, .map, .struct: return FromJSON.toJSON(text, as: type)
            default: return text
            }
        }
    }
}
