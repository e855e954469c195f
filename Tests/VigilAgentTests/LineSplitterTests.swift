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

    @Test("a CRLF line exactly at the limit is kept whole, as the same line ending in LF is")
    func crlfAtLimit() {
        var splitter = LineSplitter(maxLineBytes: 16)
        #expect(splitter.feed(Array("0123456789abcdef\r\n0123456789abcdef\n".utf8)) == ["0123456789abcdef", "0123456789abcdef"])
    }

    @Test("invalid UTF-8 is replaced and U+0000 becomes U+FFFD")
    func text() {
        var splitter = LineSplitter()
        #expect(splitter.feed([0x61, 0xFF, 0x62, 0x0A, 0x61, 0x00, 0x62, 0x0A]) == ["a\u{FFFD}b", "a\u{FFFD}b"])
    }

    @Test("a line past the limit is cut at a character boundary and marked with what was dropped, leaving room for the mark")
    func longLines() {
        // A limit of 16 keeps 8 bytes of a longer line (the rest of the limit is room for the marker).
        var splitter = LineSplitter(maxLineBytes: 16)
        // 6 ASCII + "é" (2 bytes) fills 8 exactly.
        #expect(splitter.feed(Array("abcdeféxyz-0123456789\n".utf8)) == ["abcdefé …[cut: 14 more bytes]"])
        // "€" (3 bytes) would be split at 8: it is left out.
        #expect(splitter.feed(Array("abcdefg€€€".utf8)) == [])
        #expect(splitter.feed(Array("tail and more\nnext\n".utf8)) == ["abcdefg …[cut: 22 more bytes]", "next"])
    }

    @Test("a line of exactly the limit is kept whole; one byte more is cut")
    func exactLimit() {
        var splitter = LineSplitter(maxLineBytes: 16)
        let whole = String(repeating: "a", count: 16)
        #expect(splitter.feed(Array((whole + "\n" + whole + "b\n").utf8)) == [whole, "aaaaaaaa …[cut: 9 more bytes]"])
    }

    @Test("a line that grows past the limit across reads is cut the same way")
    func acrossReads() {
        var splitter = LineSplitter(maxLineBytes: 16)
        #expect(splitter.feed(Array("0123456789".utf8)) == [])
        #expect(splitter.feed(Array("0123456789\n".utf8)) == ["01234567 …[cut: 12 more bytes]"])
    }
}
