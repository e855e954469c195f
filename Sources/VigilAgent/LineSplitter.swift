/// Cuts a byte stream into lines as they complete. A trailing `\r` is dropped (CRLF output), invalid UTF-8 is
/// replaced, and a line longer than `maxLineBytes` is cut and marked as the server marks it (`…[cut: N more bytes]`),
/// its rest skipped up to the next newline: memory stays bounded whatever the child writes. The cut leaves room for
/// the marker, so the marked line still fits `maxLineBytes` and the server does not cut it again (which would lose
/// the count of what was dropped).
public struct LineSplitter: Sendable {
    public let maxLineBytes: Int
    /// Bytes of a line kept before a cut: `maxLineBytes` less room for the marker.
    let keptBytes: Int
    private var pending: [UInt8] = []
    /// Bytes of the current line past the limit (skipped).
    private var overflow = 0

    public init(maxLineBytes: Int = 64 << 10) {
        self.maxLineBytes = maxLineBytes
        keptBytes = max(1, maxLineBytes - min(40, maxLineBytes / 2))
    }

    /// The lines `bytes` completes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count, bytes[end] != 0x0A { end += 1 }
            guard end < count else {
                append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                break
            }
            // Without the CR of a CRLF ending, which the line does not keep (nor count against its limit).
            var last = end
            if last > start, bytes[last - 1] == 0x0D { last -= 1 }
            if pending.isEmpty, overflow == 0, last - start <= maxLineBytes {
                // The common case: a whole line inside one read, made into a string with no copy in between.
                lines.append(Self.text(UnsafeRawBufferPointer(rebasing: bytes[start..<last])))
            } else {
                append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                lines.append(take())
            }
            start = end + 1
        }
        return lines
    }

    /// Bytes as text: invalid UTF-8 replaced, U+0000 too (the server would refuse to store it as is).
    static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let line = String(decoding: bytes, as: UTF8.self)
        return bytes.contains(0) ? String(line.unicodeScalars.map { $0.value == 0 ? "\u{FFFD}" : Character($0) }) : line
    }

    public mutating func feed(_ bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// What is left when the stream ends (a last line without a newline), if anything.
    public mutating func finish() -> String? {
        guard !pending.isEmpty || overflow > 0 else { return nil }
        return take()
    }

    private mutating func append(_ piece: UnsafeRawBufferPointer) {
        // Whole lines up to maxLineBytes are kept as they are; past it, only keptBytes of them.
        let room = (overflow > 0 || pending.count + piece.count > maxLineBytes ? keptBytes : maxLineBytes) - pending.count
        if piece.count <= room {
            pending.append(contentsOf: piece)
        } else {
            pending.append(contentsOf: piece[0..<max(0, room)])
            overflow += piece.count - max(0, room)
        }
    }

    /// How many leading bytes hold whole UTF-8 characters (a character cut at the end is left out).
    static func completeCharacters(_ bytes: [UInt8]) -> Int {
        var start = bytes.count - 1
        while start > 0, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0, start < bytes.count else { return bytes.count }
        let lead = bytes[start]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return start + length <= bytes.count ? bytes.count : start
    }

    private mutating func take() -> String {
        if overflow == 0, pending.last == 0x0D { pending.removeLast() }
        if overflow > 0, pending.count > keptBytes {
            // The line grew past the limit after this much was kept whole: keep only what leaves room for the marker.
            overflow += pending.count - keptBytes
            pending.removeLast(pending.count - keptBytes)
        }
        let line: String
        if overflow > 0 {
            let end = Self.completeCharacters(pending)
            line = pending[0..<end].withUnsafeBytes { Self.text($0) } + " …[cut: \(overflow + pending.count - end) more bytes]"
        } else {
            line = pending.withUnsafeBytes { Self.text($0) }
        }
        pending.removeAll(keepingCapacity: true)
        overflow = 0
        return line
    }
}
