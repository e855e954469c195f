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

    init(_ text: String, cased: Bool) {
        self.cased = cased
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
        self.pieces = pieces
    }

    init(pieces: [Piece], cased: Bool) {
        self.pieces = pieces
        self.cased = cased
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
