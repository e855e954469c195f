/// Writes compact JSON (no insignificant whitespace) into a byte buffer.
///
/// Strings escape `"`, `\`, every C0 control character, DEL, U+2028 and U+2029, so stored values that
/// contain line breaks or terminal escapes stay inert when the output is viewed or embedded in a script.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Empties the buffer, keeping its storage, to write the next document into it.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func rawBytes(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends bytes that already are JSON text, unchanged.
    public mutating func rawJSON(_ buffer: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: buffer)
    }

    public mutating func null() { raw("null") }

    public mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

    public mutating func integer<T: BinaryInteger>(_ value: T) { rawBytes(String(value)) }

    /// A JSON string holding the RFC 3339 UTC text of `millis` (`"2023-01-01T01:01:01.123Z"`).
    public mutating func timestamp(millis: Int64) {
        bytes.append(UInt8(ascii: "\""))
        Timestamp.appendRFC3339(millis: millis, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A JSON string holding the UTC date of `millis` (`"2023-01-01"`).
    public mutating func date(millis: Int64) {
        bytes.append(UInt8(ascii: "\""))
        Timestamp.appendDate(millis: millis, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func string(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// A JSON string from UTF-8 bytes (already known to be valid UTF-8), escaped as `string(_:)` does.
    public mutating func string(utf8 buffer: UnsafeRawBufferPointer) {
        bytes.append(UInt8(ascii: "\""))
        buffer.withMemoryRebound(to: UInt8.self) { utf8 in
            // Fast path: most strings need no escaping and are copied in one append. A plain loop, not
            // `contains(where:)`, whose closure was not inlined and cost a call per byte (log lines are all bytes).
            var position = 0
            while position < utf8.count {
                let byte = utf8[position]
                if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xE2 { break }
                position += 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[0..<position]))
            while position < utf8.count {
                let byte = utf8[position]
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0..<0x20, 0x7F:
                    raw("\\u00")
                    bytes.append(Self.hexDigit(byte >> 4))
                    bytes.append(Self.hexDigit(byte & 0x0F))
                case 0xE2 where position + 2 < utf8.count && utf8[position + 1] == 0x80
                    && (utf8[position + 2] == 0xA8 || utf8[position + 2] == 0xA9):
                    // U+2028/U+2029 are valid JSON but split lines in JavaScript and some log viewers.
                    utf8[position + 2] == 0xA8 ? raw("\\u2028") : raw("\\u2029")
                    position += 2
                default:
                    bytes.append(byte)
                }
                position += 1
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `"key":` (the caller adds the value and the separating comma).
    public mutating func key(_ key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func comma() { bytes.append(UInt8(ascii: ",")) }
    public mutating func beginObject() { bytes.append(UInt8(ascii: "{")) }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { bytes.append(UInt8(ascii: "[")) }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")) }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let text): rawBytes(text)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for (position, element) in elements.enumerated() {
                if position > 0 { comma() }
                self.value(element)
            }
            endArray()
        case .object(let members):
            beginObject()
            for (position, member) in members.enumerated() {
                if position > 0 { comma() }
                key(member.key)
                self.value(member.value)
            }
            endObject()
        }
    }

    /// Compact JSON text of `value`.
    public static func text(of value: JSONValue) -> String {
        var writer = JSONWriter()
        writer.value(value)
        return writer.string
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10
    }
}
