/// A Sigma string value: `*` matches any run of characters, `?` one character, `\*`, `\?` and `\\` are the
/// characters themselves (a backslash before anything else is a backslash). Matching is case-insensitive unless
/// the rule says `cased`.
struct Glob: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(Character)
        case any
        case one
    }

    let pieces: [Piece]
    let cased: Bool
    /// The common shapes (exact, prefix, suffix, contains) of ASCII values, matched on UTF-8 bytes without
    /// allocating: most rules compare `action_name` and `service_name` to plain words, on every event.
    let fast: Fast?

    enum Fast: Sendable, Equatable {
        case exact([UInt8])
        case prefix([UInt8])
        case suffix([UInt8])
        case contains([UInt8])
    }

    init(_ text: String, cased: Bool) {
        var pieces: [Piece] = []
        var escaping = false
        for character in text {
            if escaping {
                escaping = false
                if character == "*" || character == "?" || character == "\\" {
                    pieces.append(.literal(character))
                    continue
                }
                pieces.append(.literal("\\"))
            }
            switch character {
            case "\\": escaping = true
            case "*": if pieces.last != .any { pieces.append(.any) }
            case "?": pieces.append(.one)
            default: pieces.append(.literal(cased ? character : Self.fold(character)))
            }
        }
        if escaping { pieces.append(.literal("\\")) }
        self.init(pieces: pieces, cased: cased)
    }

    init(pieces: [Piece], cased: Bool) {
        self.pieces = pieces
        self.cased = cased
        self.fast = Self.fastShape(pieces)
    }

    static func fastShape(_ pieces: [Piece]) -> Fast? {
        let leading = pieces.first == .any
        let trailing = pieces.count > 1 && pieces.last == .any
        let middle = pieces.dropFirst(leading ? 1 : 0).dropLast(trailing ? 1 : 0)
        var bytes: [UInt8] = []
        for piece in middle {
            guard case .literal(let character) = piece, let ascii = character.asciiValue else { return nil }
            bytes.append(ascii)
        }
        if middle.isEmpty { return nil }
        switch (leading, trailing) {
        case (false, false): return .exact(bytes)
        case (false, true): return .prefix(bytes)
        case (true, false): return .suffix(bytes)
        case (true, true): return .contains(bytes)
        }
    }

    /// ASCII case folding of one byte (the pattern is folded already unless cased).
    @inline(__always)
    func byte(_ value: UInt8) -> UInt8 {
        !cased && value >= 65 && value <= 90 ? value + 32 : value
    }

    func fastMatch(_ fast: Fast, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        func equal(_ pattern: [UInt8], at offset: Int) -> Bool {
            for index in 0..<pattern.count where byte(text[offset + index]) != pattern[index] { return false }
            return true
        }
        switch fast {
        case .exact(let pattern): return text.count == pattern.count && equal(pattern, at: 0)
        case .prefix(let pattern): return text.count >= pattern.count && equal(pattern, at: 0)
        case .suffix(let pattern): return text.count >= pattern.count && equal(pattern, at: text.count - pattern.count)
        case .contains(let pattern):
            guard text.count >= pattern.count else { return false }
            for offset in 0...(text.count - pattern.count) where equal(pattern, at: offset) { return true }
            return false
        }
    }

    /// `contains`, `startswith` and `endswith` are the same value with `*` around it.
    func wrapped(leading: Bool, trailing: Bool) -> Glob {
        var result = pieces
        if leading, result.first != .any { result.insert(.any, at: 0) }
        if trailing, result.last != .any { result.append(.any) }
        return Glob(pieces: result, cased: cased)
    }

    static func fold(_ character: Character) -> Character {
        character.isUppercase ? Character(character.lowercased()) : character
    }

    /// The classic two-pointer wildcard match: linear in practice, backtracking only to the last `*`.
    func matches(_ text: String) -> Bool {
        if let fast {
            var text = text
            // Non-ASCII text takes the general path: Unicode case folding can map it onto ASCII letters.
            let answer: Bool? = text.withUTF8 { bytes in
                bytes.contains { $0 >= 0x80 } ? nil : fastMatch(fast, bytes)
            }
            if let answer { return answer }
        }
        return slowMatch(text)
    }

    func slowMatch(_ text: String) -> Bool {
        let subject = cased ? Array(text) : text.map(Self.fold)
        var p = 0
        var s = 0
        var star = -1
        var mark = 0
        while s < subject.count {
            if p < pieces.count {
                switch pieces[p] {
                case .any:
                    star = p
                    mark = s
                    p += 1
                    continue
                case .one:
                    p += 1
                    s += 1
                    continue
                case .literal(let character) where character == subject[s]:
                    p += 1
                    s += 1
                    continue
                default:
                    break
                }
            }
            guard star >= 0 else { return false }
            p = star + 1
            mark += 1
            s = mark
        }
        while p < pieces.count, pieces[p] == .any { p += 1 }
        return p == pieces.count
    }
}
