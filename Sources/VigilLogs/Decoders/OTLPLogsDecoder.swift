import VigilCore

/// OTLP/HTTP logs in the JSON encoding (`POST /v1/logs`, reference monitoring-anchors.md §6.2), as OpenTelemetry SDKs
/// and collectors send them. The resource attribute `service.name` names the app.
///
/// Each log record becomes a line: `timeUnixNano` (else `observedTimeUnixNano`, else arrival) its time, `body` its
/// message (a string as is; a map or list as compact JSON, so its members are searchable), `severityText` (else
/// `severityNumber`) its level, the record's attributes plus `trace_id`, `span_id` and `event_name` its fields, and
/// the attribute `log.iostream` (stdout/stderr) its stream. Unknown members are ignored, as the OTLP JSON mapping
/// requires.
public struct OTLPLogsDecoder: Sendable {
    public var limits: LogLimits
    public var maxRequestLines: Int

    public init(limits: LogLimits = LogLimits(), maxRequestLines: Int = 100_000) {
        self.limits = limits
        self.maxRequestLines = maxRequestLines
    }

    public func decode(_ body: [UInt8], receivedMillis: Int64) throws(LogPushRefusal) -> DecodedLogs {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw LogPushRefusal(problems: [.init(index: 0, field: "", reason: error.isInvalidUTF8 ? .invalidUTF8 : .malformedJSON, detail: error.description)])
        }
        return try decode(document: document, receivedMillis: receivedMillis)
    }

    /// Decodes a request already in the OTLP JSON mapping's shape (the protobuf decoder produces one).
    public func decode(document: JSONValue, receivedMillis: Int64) throws(LogPushRefusal) -> DecodedLogs {
        guard case .object = document else {
            throw LogPushRefusal(problems: [.init(index: 0, field: "", reason: .notAnObject, detail: "want {\"resourceLogs\": [...]}")])
        }
        var records: [OTLPRecord] = []
        var problems: [ValidationProblem] = []
        guard case .array(let resources) = document["resourceLogs"] ?? .array([]) else {
            throw LogPushRefusal(problems: [.init(index: 0, field: "resourceLogs", reason: .wrongType, detail: "want an array")])
        }
        for (resourceIndex, resource) in resources.enumerated() {
            let attributes = Self.keyValues(resource["resource"]?["attributes"])
            let service = attributes.first { $0.key == "service.name" }.flatMap { MessageFields.text(of: $0.value) }
            guard case .array(let scopes) = resource["scopeLogs"] ?? .array([]) else {
                problems.append(.init(index: records.count, field: "resourceLogs[\(resourceIndex)].scopeLogs", reason: .wrongType, detail: "want an array"))
                continue
            }
            for (scopeIndex, scope) in scopes.enumerated() {
                guard case .array(let logRecords) = scope["logRecords"] ?? .array([]) else {
                    problems.append(.init(index: records.count, field: "resourceLogs[\(resourceIndex)].scopeLogs[\(scopeIndex)].logRecords",
                                          reason: .wrongType, detail: "want an array"))
                    continue
                }
                for (recordIndex, record) in logRecords.enumerated() {
                    let path = "resourceLogs[\(resourceIndex)].scopeLogs[\(scopeIndex)].logRecords[\(recordIndex)]"
                    if let service, let problem = AppName.problem(service) {
                        problems.append(.init(index: records.count, field: "resourceLogs[\(resourceIndex)].resource.attributes[service.name]",
                                              reason: .unknownApp, detail: problem))
                        records.append(OTLPRecord(app: "", record: record, path: path))
                        continue
                    }
                    guard let service, !service.isEmpty else {
                        problems.append(.init(index: records.count, field: "resourceLogs[\(resourceIndex)].resource.attributes[service.name]",
                                              reason: .missingApp, detail: "the resource attribute service.name names the app"))
                        records.append(OTLPRecord(app: "", record: record, path: path))
                        continue
                    }
                    records.append(OTLPRecord(app: service, record: record, path: path))
                }
            }
        }
        if records.count > maxRequestLines {
            problems.append(.init(index: maxRequestLines, field: "", reason: .tooManyEvents, detail: "got \(records.count) log records, want at most \(maxRequestLines) per request"))
        }
        var decoded = DecodedLogs()
        for (index, entry) in records.enumerated() where problems.isEmpty {
            if let line = line(entry, index: index, receivedMillis: receivedMillis, decoded: &decoded, problems: &problems) {
                decoded.append(line, to: entry.app)
            }
        }
        guard problems.isEmpty else { throw LogPushRefusal(problems: problems) }
        try decoded.checkAppCount()
        return decoded
    }

    struct OTLPRecord {
        var app: String
        var record: JSONValue
        var path: String
    }

    func line(_ entry: OTLPRecord, index: Int, receivedMillis: Int64, decoded: inout DecodedLogs, problems: inout [ValidationProblem]) -> LogLine? {
        let record = entry.record
        guard case .object = record else {
            problems.append(.init(index: index, field: entry.path, reason: .notAnObject, detail: "got \(record.typeName), want a log record object"))
            return nil
        }
        var line = LogLine(timestampMillis: receivedMillis, message: "")
        for key in ["timeUnixNano", "observedTimeUnixNano"] {
            guard let value = record[key], value != .null else { continue }
            guard let millis = LokiPushDecoder.millis(nanoseconds: value) else {
                problems.append(.init(index: index, field: "\(entry.path).\(key)", reason: .invalidTimestamp, detail: "want nanoseconds since the epoch"))
                return nil
            }
            if millis > 0 {
                line.timestampMillis = millis
                break
            }
        }
        guard let body = record["body"], let message = Self.text(of: body) else {
            problems.append(.init(index: index, field: entry.path + ".body", reason: .missingMessage, detail: "a log record needs a body"))
            return nil
        }
        line.message = decoded.storable(message, limits)
        var fields: [JSONMember] = []
        for attribute in Self.keyValues(record["attributes"]) {
            if attribute.key == "log.iostream", case .string(let stream) = attribute.value {
                line.stream = LogStreamName(rawValue: stream.lowercased()) ?? .stdout
            } else {
                fields.append(attribute)
            }
        }
        for (key, name) in [("traceId", "trace_id"), ("spanId", "span_id"), ("eventName", "event_name")] {
            if case .string(let value)? = record[key], !value.isEmpty { fields.append(JSONMember(name, .string(value))) }
        }
        if case .string(let text)? = record["severityText"], !text.isEmpty {
            line.level = LogLevel.normalized(text)
        } else if let number = record["severityNumber"].flatMap(Self.integer) {
            line.level = LogLevel.fromSeverityNumber(number)
        }
        let (level, messageFields) = MessageFields.extract(line.message)
        if line.level == nil { line.level = level }
        line.fieldsJSON = MessageFields.json(messageFields + fields)
        return line
    }

    /// `[{"key": k, "value": AnyValue}]` as members whose values are plain JSON.
    static func keyValues(_ value: JSONValue?) -> [JSONMember] {
        guard case .array(let pairs)? = value else { return [] }
        return pairs.compactMap { pair in
            guard case .string(let key)? = pair["key"] else { return nil }
            return JSONMember(key, plain(pair["value"] ?? .null))
        }
    }

    /// An OTLP AnyValue as plain JSON: `{"stringValue":"x"}` → "x", `{"intValue":"5"}` → 5, a kvlist → an object.
    static func plain(_ any: JSONValue) -> JSONValue {
        guard case .object(let members) = any, let member = members.first else { return .null }
        switch (member.key, member.value) {
        case ("stringValue", .string), ("boolValue", .bool), ("doubleValue", .number): return member.value
        case ("intValue", .string(let text)): return Int64(text) != nil ? .number(text) : .string(text)
        case ("intValue", .number): return member.value
        case ("bytesValue", .string): return member.value
        case ("arrayValue", let array): 
            guard case .array(let values)? = array["values"] else { return .array([]) }
            return .array(values.map(plain))
        case ("kvlistValue", let list): return .object(keyValues(list["values"]))
        default: return .null
        }
    }

    /// A body as the line's text: a string as it is; anything else as compact JSON.
    static func text(of any: JSONValue) -> String? {
        let value = plain(any)
        switch value {
        case .null: return nil
        case .string(let text): return text
        default: return JSONWriter.text(of: value)
        }
    }

    static func integer(_ value: JSONValue) -> Int? {
        switch value {
        case .number(let text), .string(let text): Int(text)
        default: nil
        }
    }
}
