/// Which lines a reader wants: a search term (a case-insensitive substring of the message, ASCII letters folded, as
/// SQLite's LIKE folds them), a source and a level. Empty parts match everything.
public struct LogFilter: Sendable, Equatable {
    public var search: String
    public var source: LogSource?
    public var level: String?

    public init(search: String = "", source: LogSource? = nil, level: String? = nil) {
        self.search = search
        self.source = source
        self.level = level.flatMap(LogLevel.normalized)
        folded = Self.fold(search)
    }

    private var folded: [UInt8]

    public var isEmpty: Bool { search.isEmpty && source == nil && level == nil }

    public func matches(_ line: LogLine) -> Bool {
        if let source, line.source != source { return false }
        if let level, line.level != level { return false }
        guard !folded.isEmpty else { return true }
        let message = Self.fold(line.message)
        guard message.count >= folded.count else { return false }
        return message.withUnsafeBufferPointer { haystack in
            folded.withUnsafeBufferPointer { needle in
                let first = needle[0]
                var start = 0
                let last = haystack.count - needle.count
                while start <= last {
                    if haystack[start] == first {
                        var offset = 1
                        while offset < needle.count, haystack[start + offset] == needle[offset] { offset += 1 }
                        if offset == needle.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }

    static func fold(_ text: String) -> [UInt8] {
        text.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }
    }

    /// The term as a LIKE pattern (`%term%` with `%`, `_` and `\` escaped by `\`).
    var likePattern: String {
        var pattern = "%"
        for character in search {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }
}
