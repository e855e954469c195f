import VigilCore

/// What a log push decodes to: lines grouped by the app they belong to, in the order they came.
public struct DecodedLogs: Sendable {
    public struct AppLines: Sendable {
        public var app: String
        public var lines: [LogLine]
    }

    public private(set) var apps: [AppLines] = []
    private var positions: [String: Int] = [:]
    /// Messages cut to the line limit.
    public var cutLines = 0

    /// Apps one Loki or OTLP push may name: each is looked up and checked, so their number is bounded.
    public static let maxApps = 100

    public init() {}

    public var lineCount: Int { apps.reduce(0) { $0 + $1.lines.count } }

    public mutating func append(_ line: LogLine, to app: String) {
        if let index = positions[app] {
            apps[index].lines.append(line)
        } else {
            positions[app] = apps.count
            apps.append(AppLines(app: app, lines: [line]))
        }
    }

    /// The push as a refusal when it names more apps than `maxApps`.
    func checkAppCount() throws(LogPushRefusal) {
        guard apps.count > Self.maxApps else { return }
        throw LogPushRefusal(problems: [.init(index: 0, field: "app", reason: .tooManyEvents,
                                              detail: "the push names \(apps.count) apps, at most \(Self.maxApps) allowed; send one push per app")])
    }

    /// The message as stored: cut to `limits.maxLineBytes` (counted), U+0000 replaced by U+FFFD (SQLite text stops
    /// at it, and a terminal must not see it).
    mutating func storable(_ message: String, _ limits: LogLimits) -> String {
        var text = message
        if text.utf8.withContiguousStorageIfAvailable({ $0.contains(0) }) ?? text.utf8.contains(0) { text = String(text.unicodeScalars.map { $0.value == 0 ? "\u{FFFD}" : Character($0) }) }
        let (kept, wasCut) = LineCutter.cut(text, maxBytes: limits.maxLineBytes)
        if wasCut { cutLines += 1 }
        return kept
    }
}

/// Why a push was refused: every problem, each naming its line (0-based), field and reason.
public struct LogPushRefusal: Error, Sendable {
    public var problems: [ValidationProblem]
}
