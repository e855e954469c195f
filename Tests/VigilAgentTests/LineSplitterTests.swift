import Testing
@testable import VigilAgent

@Suite("Line splitting")
struct LineSplitterTests {
    @Test("lines complete across reads; CRLF loses its CR; a last line without newline comes at the end")
    func splitting() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("one\ntw".utf8)) == ["one"])
        #expect(splitter.feed(Array("o\r\nthree\n\nfo".utf8)) == ["two", "three", ""])
        #expect(splitter.finish() == "fo")
        #expect(splitter.finish() == nil)
    }

    @Test("invalid UTF-8 is replaced and U+0000 becomes U+FFFD")
    func text() {
        var splitter = LineSplitter()
        #expect(splitter.feed([0x61, 0xFF, 0x62, 0x0A, 0x61, 0x00, 0x62, 0x0A]) == ["a\u{FFFD}b", "a\u{FFFD}b"])
    }

    @Test("a line past the limit is cut at a character boundary, marked with what was dropped, and the rest skipped")
    func longLines() {
        var splitter = LineSplitter(maxLineBytes: 8)
        // 6 ASCII + "é" (2 bytes) fills 8 exactly; "€" would be split and is left out.
        #expect(splitter.feed(Array("abcdeféxyz\n".utf8)) == ["abcdefé …[cut: 3 more bytes]"])
        #expect(splitter.feed(Array("abcdefg€€€".utf8)) == [])
        #expect(splitter.feed(Array("tail\nnext\n".utf8)) == ["abcdefg …[cut: 13 more bytes]", "next"])
    }

    @Test("a line of exactly the limit is kept whole")
    func exactLimit() {
        var splitter = LineSplitter(maxLineBytes: 4)
        #expect(splitter.feed(Array("abcd\nabcde\n".utf8)) == ["abcd", "abcd …[cut: 1 more bytes]"])
    }
}
