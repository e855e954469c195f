import Foundation
import Logging

/// The little JSON this library writes: members with string, array or object values, escaped per RFC 8259.
enum JSONText {
    static func member(_ key: String, _ value: Logger.Metadata.Value, first: Bool = false, into json: inout String) {
        if !first { json += "," }
        string(key, into: &json)
        json += ":"
        self.value(value, into: &json)
    }

    static func value(_ value: Logger.Metadata.Value, into json: inout String) {
        switch value {
        case .string(let text): string(text, into: &json)
        case .stringConvertible(let convertible): string(convertible.description, into: &json)
        case .array(let values):
            json += "["
            for (index, element) in values.enumerated() {
                if index > 0 { json += "," }
                self.value(element, into: &json)
            }
            json += "]"
        case .dictionary(let members):
            json += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                member(key, members[key]!, first: index == 0, into: &json)
            }
            json += "}"
        }
    }

    static func string(_ text: String, into json: inout String) {
        json += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x2028...0x2029).contains(scalar.value):
                json += String(format: "\\u%04X", scalar.value)
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }

    /// UTC, millisecond precision: `2026-12-02T10:00:00.123Z`.
    static func rfc3339(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(millis % 1000))
    }
}
