import VigilCore

/// Loki's push API in its JSON form (`POST /loki/api/v1/push`, reference monitoring-anchors.md §6.1), as Promtail,
/// Grafana Alloy and the logging libraries that speak Loki send it:
/// `{"streams":[{"stream":{"app":"shop","level":"info"},"values":[["<epoch ns>","<line>", {<structured metadata>}]]}]}`.
///
/// The `app` label names the app. The `stream` label (stdout/stderr), `source` (APP/SYSTEM) and `level` (or
/// `detected_level`) set those columns; every other label and the structured metadata become searchable fields. As
/// Loki detects a level, a `severity`, `lvl`, `loglevel` or `log_level` label or metadata also gives the level (and
/// stays a field).
/// Unknown members are ignored, as Loki does.
public struct LokiPushDecoder: Sendable {
    public var limits: LogLimits
    public var maxRequestLines: Int

    public init(limits: LogLimits = LogLimits(), maxRequestLines: Int = 100_000) {
        self.limits = limits
        self.maxRequestLines = maxRequestLines
    }

    /// Other names loggers and shippers give the level.
    static let levelKeys: Set<String> = ["level", "severity", "lvl", "loglevel", "log_level", "detected_level"]

    public func decode(_ body: [UInt8]) throws(LogPushRefusal) -> DecodedLogs {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw LogPushRefusal(problems: [.init(index: 0, field: "", reason: error.isInvalidUTF8 ? .invalidUTF8 : .malformedJSON, detail: error.description)])
        }
        guard case .array(let streams)? = document["streams"] else {
            throw LogPushRefusal(problems: [.init(index: 0, field: "streams", reason: .wrongType, detail: "want {\"streams\": [...]}")])
        }
        var problems: [ValidationProblem] = []
        var decoded = DecodedLogs()
        var index = 0
        for (streamIndex, stream) in streams.enumerated() {
            let path = "streams[\(streamIndex)]"
            guard case .object(let labels)? = stream["stream"] else {
                problems.append(.init(index: index, field: path + ".stream", reason: .wrongType, detail: "want an object of labels"))
                continue
            }
            guard case .array(let values)? = stream["values"] else {
                problems.append(.init(index: index, field: path + ".values", reason: .wrongType, detail: "want an array of [timestamp, line] pairs"))
                continue
            }
            guard case .string(let app)? = stream["stream"]?["app"], !app.isEmpty else {
                problems.append(.init(index: index, field: path + ".stream.app", reason: .missingApp, detail: "the app label names the app the lines belong to"))
                index += values.count
                continue
            }
            if let problem = AppName.problem(app) {
                problems.append(.init(index: index, field: path + ".stream.app", reason: .unknownApp, detail: problem))
                index += values.count
                continue
            }
            var template = LogLine(timestampMillis: 0, message: "")
            var labelFields: [JSONMember] = []
            for label in labels {
                guard case .string(let value) = label.value else {
                    problems.append(.init(index: index, field: "\(path).stream.\(label.key.prefix(64))", reason: .wrongType, detail: "label values are strings"))
                    continue
                }
                switch label.key {
                case "app": continue
                case "stream": template.stream = LogStreamName(rawValue: value.lowercased()) ?? .stdout
                case "source": template.source = LogSource(rawValue: value.uppercased()) ?? .app
                case "level", "detected_level": template.level = LogLevel.normalized(value)
                default:
                    if template.level == nil, Self.levelKeys.contains(label.key.lowercased()) { template.level = LogLevel.normalized(value) }
                    labelFields.append(label)
                }
            }
            for (valueIndex, entry) in values.enumerated() {
                defer { index += 1 }
                let field = "\(path).values[\(valueIndex)]"
                guard case .array(let parts) = entry, parts.count == 2 || parts.count == 3 else {
                    problems.append(.init(index: index, field: field, reason: .wrongType, detail: "want [\"<epoch ns>\", \"<line>\"] or with a metadata object third"))
                    continue
                }
                guard let millis = Self.millis(nanoseconds: parts[0]) else {
                    problems.append(.init(index: index, field: field + "[0]", reason: .invalidTimestamp, detail: "want nanoseconds since the epoch as a string"))
                    continue
                }
                guard case .string(let text) = parts[1] else {
                    problems.append(.init(index: index, field: field + "[1]", reason: .missingMessage, detail: "the line is a string"))
                    continue
                }
                var metadata: [JSONMember] = []
                if parts.count == 3 {
                    guard case .object(let members) = parts[2] else {
                        problems.append(.init(index: index, field: field + "[2]", reason: .wrongType, detail: "structured metadata is an object of strings"))
                        continue
                    }
                    metadata = members
                }
                guard problems.isEmpty else { continue }
                var line = template
                line.timestampMillis = millis
                line.message = decoded.storable(text, limits)
                let (level, messageFields) = MessageFields.extract(line.message)
                if line.level == nil {
                    line.level = level ?? metadata.first { Self.levelKeys.contains($0.key.lowercased()) || $0.key == "level" }
                        .flatMap { MessageFields.text(of: $0.value) }.flatMap(LogLevel.normalized)
                }
                line.fieldsJSON = MessageFields.json(messageFields + labelFields + metadata)
                decoded.append(line, to: app)
            }
        }
        if index > maxRequestLines {
            problems.append(.init(index: maxRequestLines, field: "", reason: .tooManyEvents, detail: "got \(index) lines, want at most \(maxRequestLines) per request"))
        }
        if index == 0, problems.isEmpty {
            problems.append(.init(index: 0, field: "streams", reason: .emptyRequest, detail: "the push holds no lines"))
        }
        guard problems.isEmpty else { throw LogPushRefusal(problems: problems) }
        try decoded.checkAppCount()
        return decoded
    }

    /// Loki sends nanoseconds as a decimal string (a number is read too).
    static func millis(nanoseconds value: JSONValue) -> Int64? {
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(let number): text = number
        default: return nil
        }
        guard let nanos = Int64(text), nanos >= 0 else { return nil }
        return nanos / 1_000_000
    }
}
