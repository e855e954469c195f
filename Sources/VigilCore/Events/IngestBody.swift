/// Splits an ingest request body into event values: a JSON array, `{"events": [...]}`, a single event
/// object, or NDJSON (one event per line). Each value comes with its encoded size so the per-event limit
/// can be enforced on what the producer actually sent.
public enum IngestBody {
    public enum Format: Sendable { case json, ndjson }

    public struct Item: Sendable {
        public var value: JSONValue?
        public var byteCount: Int
        public var line: Int?
    }

    /// `application/x-ndjson`, `application/jsonl` and `application/x-jsonlines` select NDJSON.
    public static func format(contentType: String?) -> Format {
        guard let contentType else { return .json }
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() } ?? ""
        switch mediaType {
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines": return .ndjson
        default: return .json
        }
    }

    /// Parses the body. Problems that make an event unreadable are appended to `problems` (with the event's
    /// index) and its `value` is nil; a body that is not JSON at all yields one problem at index 0.
    public static func split(_ body: [UInt8], format: Format, problems: inout [ValidationProblem]) -> [Item] {
        switch format {
        case .ndjson: return splitLines(body, problems: &problems)
        case .json: return splitDocument(body, problems: &problems)
        }
    }

    private static func splitDocument(_ body: [UInt8], problems: inout [ValidationProblem]) -> [Item] {
        var parser = JSONParser(bytes: body)
        parser.skipWhitespace()
        let first = parser.offset < body.count ? body[parser.offset] : 0
        do throws(JSONParseError) {
            if first == UInt8(ascii: "[") {
                let elements = try parser.parseArrayElements()
                try expectEnd(&parser, body)
                return elements.map { Item(value: $0.value, byteCount: $0.byteCount, line: nil) }
            }
            if first == UInt8(ascii: "{"), let wrapped = try parseWrapper(body, problems: &problems) {
                return wrapped
            }
            let value = try JSONParser.parse(body)
            return [Item(value: value, byteCount: body.count, line: nil)]
        } catch {
            problems.append(problem(for: error, index: 0, field: ""))
            return []
        }
    }

    /// `{"events": [...]}` with nothing else; returns nil when the object is not that wrapper (then the
    /// object is taken as a single event).
    private static func parseWrapper(_ body: [UInt8], problems: inout [ValidationProblem]) throws(JSONParseError) -> [Item]? {
        var parser = JSONParser(bytes: body)
        guard parser.consume(UInt8(ascii: "{")) else { return nil }
        guard let key = try? parser.parseStringToken(), key == "events" else { return nil }
        guard parser.consume(UInt8(ascii: ":")) else { throw JSONParseError(offset: parser.offset, message: "expected ':'", isInvalidUTF8: false) }
        let elements = try parser.parseArrayElements()
        guard parser.consume(UInt8(ascii: "}")) else {
            throw JSONParseError(offset: parser.offset, message: "the wrapper object may only hold \"events\"", isInvalidUTF8: false)
        }
        try expectEnd(&parser, body)
        return elements.map { Item(value: $0.value, byteCount: $0.byteCount, line: nil) }
    }

    private static func expectEnd(_ parser: inout JSONParser, _ body: [UInt8]) throws(JSONParseError) {
        parser.skipWhitespace()
        if parser.offset < body.count {
            throw JSONParseError(offset: parser.offset, message: "unexpected content after the JSON value", isInvalidUTF8: false)
        }
    }

    private static func splitLines(_ body: [UInt8], problems: inout [ValidationProblem]) -> [Item] {
        var items: [Item] = []
        var lineStart = 0
        var lineNumber = 0
        while lineStart <= body.count {
            var lineEnd = lineStart
            while lineEnd < body.count, body[lineEnd] != 0x0A { lineEnd += 1 }
            lineNumber += 1
            let isBlank = body[lineStart..<lineEnd].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if !isBlank {
                var parser = JSONParser(bytes: body, range: lineStart..<lineEnd)
                do throws(JSONParseError) {
                    let value = try parser.parseDocument()
                    items.append(Item(value: value, byteCount: lineEnd - lineStart, line: lineNumber))
                } catch {
                    var found = problem(for: error, index: items.count, field: "")
                    found.detail = "line \(lineNumber): \(found.detail)"
                    problems.append(found)
                    items.append(Item(value: nil, byteCount: lineEnd - lineStart, line: lineNumber))
                }
            }
            lineStart = lineEnd + 1
        }
        return items
    }

    private static func problem(for error: JSONParseError, index: Int, field: String) -> ValidationProblem {
        ValidationProblem(
            index: index, field: field, reason: error.isInvalidUTF8 ? .invalidUTF8 : .malformedJSON,
            detail: error.description
        )
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
