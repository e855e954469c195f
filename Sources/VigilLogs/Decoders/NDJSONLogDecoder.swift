import Foundation
import VigilCore

/// Vigil's own push format (`POST /api/2.0/vigil/apps/{name}/logs`): NDJSON, one `{timestamp, source, stream,
/// message}` object a line (a JSON array of them also works with `Content-Type: application/json`).
///
/// - `message` (string) is required; the others are optional.
/// - `timestamp`: RFC 3339 text, or a number of seconds since the epoch with a fraction (the `/logz/stream` frame
///   form, so a stream can be replayed); default the arrival time.
/// - `source`: `APP` (default) or `SYSTEM`; `stream`: `stdout` (default) or `stderr`; `level`: optional, else taken
///   from a JSON message.
/// - Any other member is refused by name.
public struct NDJSONLogDecoder: Sendable {
    public var limits: LogLimits
    public var maxRequestLines: Int

    public init(limits: LogLimits = LogLimits(), maxRequestLines: Int = 100_000) {
        self.limits = limits
        self.maxRequestLines = maxRequestLines
    }

    public static let fields: Set<String> = ["timestamp", "source", "stream", "message", "level"]

    /// The member's bit among `fields`, nil for any other name.
    static func bit(_ key: String) -> UInt8? {
        switch key {
        case "timestamp": 1
        case "source": 2
        case "stream": 4
        case "message": 8
        case "level": 16
        default: nil
        }
    }

    public func decode(_ body: [UInt8], contentType: String?, app: String, receivedMillis: Int64) throws(LogPushRefusal) -> DecodedLogs {
        var problems: [ValidationProblem] = []
        let format: IngestBody.Format = Self.isJSON(contentType) ? .json : .ndjson
        let items = IngestBody.split(body, format: format, problems: &problems)
        if items.isEmpty, problems.isEmpty {
            problems.append(.init(index: 0, field: "", reason: .emptyRequest, detail: "the request holds no log lines"))
        }
        if items.count > maxRequestLines {
            problems.append(.init(index: maxRequestLines, field: "", reason: .tooManyEvents,
                                  detail: "got \(items.count) lines, want at most \(maxRequestLines) per request"))
        }
        var decoded = DecodedLogs()
        for (index, item) in items.enumerated() {
            guard let value = item.value else { continue }
            if let line = line(value, index: index, receivedMillis: receivedMillis, decoded: &decoded, problems: &problems), problems.isEmpty {
                decoded.append(line, to: app)
            }
        }
        // In line order (unparsable lines are found first, while splitting).
        guard problems.isEmpty else { throw LogPushRefusal(problems: problems.enumerated().sorted { ($0.element.index, $0.offset) < ($1.element.index, $1.offset) }.map(\.element)) }
        return decoded
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        return contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } == "application/json"
    }

    func line(_ value: JSONValue, index: Int, receivedMillis: Int64, decoded: inout DecodedLogs, problems: inout [ValidationProblem]) -> LogLine? {
        guard case .object(let members) = value else {
            problems.append(.init(index: index, field: "", reason: .notAnObject, detail: "got \(value.typeName), want an object"))
            return nil
        }
        var line = LogLine(timestampMillis: receivedMillis, message: "")
        var message: String?
        var messageGiven = false
        // Which of the five members were seen, a bit each: no set to allocate and hash for every line.
        var seen: UInt8 = 0
        let before = problems.count
        for member in members {
            guard let bit = Self.bit(member.key) else {
                problems.append(.init(index: index, field: String(member.key.prefix(64)), reason: .unknownField,
                                      detail: "allowed: \(Self.fields.sorted().joined(separator: ", "))"))
                continue
            }
            guard seen & bit == 0 else {
                problems.append(.init(index: index, field: member.key, reason: .duplicateField, detail: "given twice"))
                continue
            }
            seen |= bit
            if member.key == "message" { messageGiven = true }
            switch (member.key, member.value) {
            case (_, .null):
                continue
            case ("message", .string(let text)):
                message = text
            case ("timestamp", .string(let text)):
                guard let millis = Timestamp.parseRFC3339(text) else {
                    problems.append(.init(index: index, field: "timestamp", reason: .invalidTimestamp,
                                          detail: "got '\(text.prefix(40))', want RFC 3339 or epoch seconds"))
                    continue
                }
                line.timestampMillis = millis
            case ("timestamp", .number(let text)):
                guard let seconds = Double(text), seconds.isFinite, let millis = Self.millis(seconds: seconds) else {
                    problems.append(.init(index: index, field: "timestamp", reason: .invalidTimestamp, detail: "got \(text.prefix(40)), want epoch seconds"))
                    continue
                }
                line.timestampMillis = millis
            case ("source", .string(let text)):
                guard let source = LogSource(rawValue: text) ?? LogSource(rawValue: text.uppercased()) else {
                    problems.append(.init(index: index, field: "source", reason: .invalidSource, detail: "got '\(text.prefix(32))', want APP or SYSTEM"))
                    continue
                }
                line.source = source
            case ("stream", .string(let text)):
                guard let stream = LogStreamName(rawValue: text) ?? LogStreamName(rawValue: text.lowercased()) else {
                    problems.append(.init(index: index, field: "stream", reason: .invalidStream, detail: "got '\(text.prefix(32))', want stdout or stderr"))
                    continue
                }
                line.stream = stream
            case ("level", .string(let text)):
                line.level = LogLevel.normalized(text)
            default:
                let want = member.key == "timestamp" ? "string or number" : "string"
                problems.append(.init(index: index, field: member.key, reason: .wrongType, detail: "got \(member.value.typeName), want \(want)"))
            }
        }
        guard let message else {
            if !messageGiven || members.contains(where: { $0.key == "message" && $0.value == .null }) {
                problems.append(.init(index: index, field: "message", reason: .missingMessage, detail: "every line needs a message (a string)"))
            }
            return nil
        }
        guard problems.count == before else { return nil }
        line.message = decoded.storable(message, limits)
        let (level, fields) = MessageFields.extract(line.message)
        if line.level == nil { line.level = level }
        line.fieldsJSON = MessageFields.json(fields)
        return line
    }

    /// Seconds since the epoch (with a fraction) as milliseconds, when within the years 0001–9999.
    static func millis(seconds: Double) -> Int64? {
        let millis = (seconds * 1000).rounded()
        guard millis >= Double(Timestamp.minMillis), millis <= Double(Timestamp.maxMillis) else { return nil }
        return Int64(millis)
    }
}
