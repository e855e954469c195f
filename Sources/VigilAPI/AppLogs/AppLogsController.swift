import Foundation
import HTTPTypes
import Hummingbird
import VigilAccess
import VigilCore
import VigilLogs
import VigilStore

/// App log ingest and reads. Lines are kept apart from the audit ledger (`logs.sqlite`); each push is one
/// transaction, then handed to live followers.
///
/// - `POST /api/2.0/vigil/apps/{name}/logs`: NDJSON of `{timestamp, source, stream, message}` (`vigil run` ships
///   so); an `Idempotency-Key` header makes a resent push store nothing twice.
/// - `POST /loki/api/v1/push` (JSON form, label `app`) and `POST /v1/logs` (OTLP/HTTP JSON, `service.name`): what
///   log shippers already send; every app named must exist and be one the caller may ship to.
/// - `GET /api/2.0/vigil/apps/{name}/logs`: the newest lines, filtered.
///
/// Shipping needs CAN_USE on the app or the ingest permission (CAN_USE on audit-logs/all). Every refusal names the
/// line, field and reason; a push is stored whole or not at all.
struct AppLogsController {
    let apps: AppStore
    let store: LogStore
    let tail: LogTail
    let limiter: AppLogRateLimiter
    let limits: LogLimits
    let maxRequestBytes: Int
    let metrics: AppLogMetrics
    let clock: any WallClock

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/apps/{name}/logs"), use: push)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/apps/{name}/logs"), use: read)
        router.on(RouteTable.entry(.post, "/loki/api/v1/push"), use: loki)
        router.on(RouteTable.entry(.post, "/v1/logs"), use: otlp)
    }

    static let maxRequestLines = 100_000
    static let maxFutureMillis: Int64 = 10 * 60_000
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    @Sendable func push(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let name = try AppsController.name(context)
        context.auditNote.set("app", name)
        let batchKey = try Self.batchKey(request)
        let body = try await RequestBody.collect(request, limit: maxRequestBytes, hint: "; send fewer lines per request")
        let decoded = try refusing { () throws(LogPushRefusal) in
            try NDJSONLogDecoder(limits: limits, maxRequestLines: Self.maxRequestLines)
                .decode(body, contentType: request.headers[.contentType], app: name, receivedMillis: clock.nowMillis())
        }
        let outcome = try await store(decoded, access: try context.requireAccess(), batchKey: batchKey, context: context)
        var members = [
            JSONMember("accepted", .number(String(outcome.stored))), JSONMember("cut", .number(String(decoded.cutLines))),
            JSONMember("too_old", .number(String(outcome.tooOld))),
        ]
        members.append(JSONMember("duplicate", .bool(outcome.duplicate)))
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    @Sendable func loki(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        try Self.requireJSON(request, what: "Loki push", protobufHint: "configure the client for JSON (Promtail/Alloy: the loki.write endpoint with JSON is not available; use Vigil's OTLP or NDJSON endpoints)")
        let body = try await RequestBody.collect(request, limit: maxRequestBytes, hint: "; send fewer lines per request")
        let decoded = try refusing { () throws(LogPushRefusal) in try LokiPushDecoder(limits: limits, maxRequestLines: Self.maxRequestLines).decode(body) }
        _ = try await store(decoded, access: try context.requireAccess(), batchKey: nil, context: context)
        return Response(status: .noContent)
    }

    @Sendable func otlp(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let contentType = Self.mediaType(request)
        let body = try await RequestBody.collect(request, limit: maxRequestBytes, hint: "; send fewer log records per request")
        let decoded: DecodedLogs
        switch contentType {
        case "application/json":
            decoded = try refusing { () throws(LogPushRefusal) in try OTLPLogsDecoder(limits: limits, maxRequestLines: Self.maxRequestLines).decode(body, receivedMillis: clock.nowMillis()) }
        case "application/x-protobuf", "application/protobuf":
            decoded = try refusing { () throws(LogPushRefusal) in
                try OTLPProtobufLogsDecoder(limits: limits, maxRequestLines: Self.maxRequestLines).decode(body, receivedMillis: clock.nowMillis())
            }
        default:
            throw VigilError(.unsupportedMediaType, "OTLP logs are read as application/json or application/x-protobuf, got '\(contentType.prefix(64))'")
        }
        _ = try await store(decoded, access: try context.requireAccess(), batchKey: nil, context: context)
        return JSONResponse.make(Array("{}".utf8))
    }

    @Sendable func read(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["tail_lines", "search", "source", "level"])
        let name = try AppsController.name(context)
        guard let app = try await apps.get(name) else { throw AppStore.notFound(name) }
        let filter = try Self.filter(query)
        let lines = try await store.tail(appKey: app.key, limit: try query.integer("tail_lines", range: 1...10_000) ?? 200, filter: filter)
        let rendered = lines.map { LogLineJSON.value($0.line) }
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("lines", .array(rendered))])).utf8Bytes)
    }

    /// The read filters; an empty one is no filter (the /logz form sends every field, "All sources" as empty).
    static func filter(_ query: QueryParameters) throws -> LogFilter {
        var source: LogSource?
        if let text = try query.formValue("source") {
            guard let parsed = LogSource(rawValue: text.uppercased()) else {
                throw VigilError(.invalidParameter, "source must be APP or SYSTEM, got '\(text.prefix(16))'")
            }
            source = parsed
        }
        return LogFilter(search: try query.formValue("search") ?? "", source: source, level: try query.formValue("level"))
    }

    /// What a push stored: every app's lines in its own transaction after every check passed for all of them.
    struct Outcome {
        var stored = 0
        var duplicate = false
        /// Lines older than the retention, left out (as Loki refuses old samples): retention would delete them at once.
        var tooOld = 0
    }

    /// Checks every app of the push (it exists, the caller may ship to it, its rate admits the lines), then stores and
    /// publishes each app's lines.
    func store(_ decoded: DecodedLogs, access: Access, batchKey: String?, context: VigilRequestContext) async throws -> Outcome {
        var targets: [(AppRecord, [LogLine])] = []
        var problems: [ValidationProblem] = []
        var index = 0
        for group in decoded.apps {
            defer { index += group.lines.count }
            guard AppName.isValid(group.app), let app = try await apps.get(group.app), access.canUse(app: group.app) || access.canIngest else {
                // An app the caller may not see is reported as unknown, whether it exists or not.
                problems.append(.init(index: index, field: "app", reason: .unknownApp,
                                      detail: "app '\(group.app.prefix(64))' does not exist or \(access.principal.userName) may not ship its logs (needs CAN_USE on it)"))
                continue
            }
            targets.append((app, group.lines))
        }
        let names = decoded.apps.map(\.app)
        context.auditNote.set("app", names.prefix(20).joined(separator: ",") + (names.count > 20 ? ",… (\(names.count) apps)" : ""))
        context.auditNote.set("lines", String(decoded.lineCount))
        if !problems.isEmpty {
            metrics.rejected(.unknownApp).increment(by: Int64(decoded.lineCount))
            if problems.count == 1, decoded.apps.count == 1, context.parameters.get("name") != nil {
                throw VigilError(.notFound, "App with name \(decoded.apps[0].app.prefix(64)) does not exist.")
            }
            let more = problems.count > 20 ? " (and \(problems.count - 20) more)" : ""
            throw VigilError(.invalidParameter, "the push names apps that do not exist or cannot be shipped to: "
                             + problems.prefix(20).map { $0.description(item: "line") }.joined(separator: "; ") + more, problems: Array(problems.prefix(100)))
        }
        for (app, lines) in targets {
            if case .limited(let retryAfter) = limiter.admit(lines.count, appKey: app.key) {
                metrics.pushesLimited.increment()
                throw VigilError(.overloaded, "app \(app.name) is shipping more than \(limiter.linesPerSecond) lines per second; retry in \(retryAfter) s",
                                 retryAfterSeconds: retryAfter)
            }
        }
        var outcome = Outcome()
        let received = clock.nowMillis()
        for (app, all) in targets {
            let oldest = received - (app.logRetentionMillis ?? limits.retentionMillis)
            var lines = all.filter { $0.timestampMillis >= oldest }
            // A line dated more than 10 minutes ahead (a skewed clock) takes its arrival time: it would otherwise sit
            // at the top of every tail and outlive retention.
            for index in lines.indices where lines[index].timestampMillis > received + Self.maxFutureMillis {
                lines[index].timestampMillis = received
            }
            outcome.tooOld += all.count - lines.count
            switch try await store.append(lines, appKey: app.key, appName: app.name, batchKey: batchKey, receivedMillis: received) {
            case .stored(let stored):
                outcome.stored += stored.count
                tail.publish(stored, appKey: app.key)
            case .duplicate(let count):
                outcome.duplicate = true
                metrics.linesDuplicate.increment(by: Int64(count))
            }
        }
        metrics.linesAccepted.increment(by: Int64(outcome.stored))
        if outcome.tooOld > 0 { metrics.rejected(.tooOld).increment(by: Int64(outcome.tooOld)) }
        if decoded.cutLines > 0 { metrics.linesCut.increment(by: Int64(decoded.cutLines)) }
        return outcome
    }

    /// Runs a decoder, turning its refusal into a 400 that lists every problem (and counts them).
    func refusing<T>(_ decode: () throws(LogPushRefusal) -> T) throws -> T {
        do {
            return try decode()
        } catch {
            var first: [Int: ValidationReason] = [:]
            for problem in error.problems where first[problem.index] == nil { first[problem.index] = problem.reason }
            for reason in first.values { metrics.rejected(reason).increment() }
            let shown = error.problems.prefix(20).map { $0.description(item: "line") }.joined(separator: "; ")
            let more = error.problems.count > 20 ? " (and \(error.problems.count - 20) more)" : ""
            throw VigilError(.validationFailed, "the push was refused and nothing was stored: \(shown)\(more)", problems: error.problems)
        }
    }

    /// `Idempotency-Key`: up to 128 characters of letters, digits and `-_.:`.
    static func batchKey(_ request: Request) throws -> String? {
        guard let key = request.headers[idempotencyKey] else { return nil }
        guard (1...128).contains(key.utf8.count),
              key.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || [45, 95, 46, 58].contains($0) })
        else {
            throw VigilError(.invalidParameter, "Idempotency-Key must be 1 to 128 characters of letters, digits, '-', '_', '.' and ':'")
        }
        return key
    }

    static func mediaType(_ request: Request) -> String {
        (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    static func requireJSON(_ request: Request, what: String, protobufHint: String) throws {
        let type = mediaType(request)
        guard type == "application/json" || type.isEmpty else {
            throw VigilError(.unsupportedMediaType, "\(what) is read in its JSON form (Content-Type: application/json), got '\(type.prefix(64))'")
        }
    }
}

/// A line as the REST read answers it: `timestamp` in RFC 3339 (milliseconds), then the columns.
enum LogLineJSON {
    static func value(_ line: LogLine) -> JSONValue {
        var members = [
            JSONMember("timestamp", .string(Timestamp.formatRFC3339(millis: line.timestampMillis))),
            JSONMember("source", .string(line.source.rawValue)),
            JSONMember("stream", .string(line.stream.rawValue)),
            JSONMember("level", line.level.map(JSONValue.string) ?? .null),
            JSONMember("message", .string(line.message)),
        ]
        if let fields = line.fieldsJSON, let parsed = try? JSONParser.parse(fields) { members.append(JSONMember("fields", parsed)) }
        return .object(members)
    }
}
