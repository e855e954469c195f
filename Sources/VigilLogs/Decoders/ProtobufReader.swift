/// Reads the protobuf wire format (varints, fixed 32/64-bit, length-delimited fields): enough to decode the few
/// messages Vigil takes (OTLP logs, Loki push) without generated code. Every read is bounds-checked; a malformed
/// message is an error, never a trap.
struct ProtobufReader {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "malformed protobuf at byte \(offset): \(reason)" }
    }

    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        offset = range.lowerBound
        end = range.upperBound
    }

    var isAtEnd: Bool { offset >= end }

    mutating func field() throws(Malformed) -> (number: Int, type: WireType) {
        let key = try varint()
        guard let type = WireType(rawValue: UInt8(key & 7)), key >> 3 > 0, key >> 3 <= UInt64(Int32.max) else {
            throw Malformed(offset: offset, reason: "bad field key \(key)")
        }
        return (Int(key >> 3), type)
    }

    mutating func varint() throws(Malformed) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw Malformed(offset: offset, reason: "varint runs past the end") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw Malformed(offset: offset, reason: "varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func fixed64() throws(Malformed) -> UInt64 {
        guard end - offset >= 8 else { throw Malformed(offset: offset, reason: "fixed64 runs past the end") }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        offset += 8
        return value
    }

    mutating func fixed32() throws(Malformed) -> UInt32 {
        guard end - offset >= 4 else { throw Malformed(offset: offset, reason: "fixed32 runs past the end") }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
        offset += 4
        return value
    }

    /// The range of a length-delimited field's payload (the reader moves past it).
    mutating func lengthDelimited() throws(Malformed) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - offset) else { throw Malformed(offset: offset, reason: "field of \(length) bytes runs past the end") }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    mutating func string() throws(Malformed) -> String {
        let range = try lengthDelimited()
        return String(decoding: bytes[range], as: UTF8.self)
    }

    mutating func message() throws(Malformed) -> ProtobufReader {
        ProtobufReader(bytes, range: try lengthDelimited())
    }

    mutating func skip(_ type: WireType) throws(Malformed) {
        switch type {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup: throw Malformed(offset: offset, reason: "groups are not supported")
        }
    }
}
