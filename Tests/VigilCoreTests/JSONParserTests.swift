import Testing
@testable import VigilCore

@Suite("JSON parser")
struct JSONParserTests {
    @Test("keeps member order and the exact text of numbers")
    func keepsOrderAndNumberText() throws {
        let value = try JSONParser.parse(#"{"z":1.50,"a":[true,null,"x"],"m":12345678901234567890}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["z", "a", "m"])
        #expect(members[0].value == .number("1.50"))
        #expect(members[2].value == .number("12345678901234567890"))
        #expect(members[1].value == .array([.bool(true), .null, .string("x")]))
    }

    @Test("decodes escapes and surrogate pairs")
    func decodesEscapes() throws {
        let value = try JSONParser.parse(#""a\"b\\c\n\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c\né\u{1F600}"))
    }

    @Test("rejects malformed documents with an offset", arguments: [
        "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"abc", "{\"a\":1} x", "\"\u{01}\"", "\"\\x\"", "[1 2]",
        "\"\\ud800\"", "\"\\udc00x\"", "",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test("rejects invalid UTF-8 as invalid_utf8", arguments: [
        [0x22, 0xC0, 0xAF, 0x22],             // overlong '/'
        [0x22, 0xED, 0xA0, 0x80, 0x22],       // encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // past U+10FFFF
        [0x22, 0xE2, 0x82, 0x22],             // truncated sequence
        [0x22, 0xFF, 0x22],
    ] as [[UInt8]])
    func rejectsInvalidUTF8(_ bytes: [UInt8]) {
        do {
            _ = try JSONParser.parse(bytes)
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.isInvalidUTF8)
        }
    }

    @Test("refuses nesting deeper than the limit instead of overflowing the stack")
    func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
    }

    @Test("reports each array element's encoded size")
    func elementSizes() throws {
        var parser = JSONParser(bytes: Array(#"[ {"a":1} , "xyz" ]"#.utf8))
        let elements = try parser.parseArrayElements()
        #expect(elements.map(\.byteCount) == [7, 5])
    }
}

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("escapes control characters, ANSI escapes and line separators so output stays inert")
    func escapesDangerousCharacters() {
        let text = JSONWriter.text(of: .string("a\u{1B}[2J\r\n\u{2028}\u{7F}\"\\"))
        #expect(text == #""a\u001b[2J\r\n\u2028\u007f\"\\""#)
    }

    @Test("round-trips through the parser")
    func roundTrips() throws {
        let original = #"{"k":[1,-2.5e3,"é",{"x":null}],"b":false}"#
        #expect(JSONWriter.text(of: try JSONParser.parse(original)) == original)
    }
}
