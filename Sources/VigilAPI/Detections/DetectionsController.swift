import Foundation
import Hummingbird
import VigilAlerts
import VigilCore
import VigilDetection
import VigilNotify
import VigilStore

/// Detection rules in Sigma, managed by API: the body of a create or update is the rule's YAML
/// (`Content-Type: application/yaml`, one or more `---`-separated documents), answered as JSON. A rule is checked
/// with every loaded rule before it is stored (its problems answered 400 with line and field, nothing stored), and
/// runs on the next committed event. A backtest replays stored history through the loaded rules.
struct DetectionsController {
    let service: DetectionService
    let events: EventStore

    static let maxBodyBytes = 256 << 10
    /// The most stored events one backtest reads.
    static let maxBacktestEvents = 1_000_000
    /// The most firings one backtest answers (it stops there, `truncated`).
    static let maxBacktestHits = 10_000

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/detections"), use: create)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/detections"), use: list)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/detections/{id}"), use: get)
        router.on(RouteTable.entry(.put, "/api/2.0/vigil/detections/{id}"), use: update)
        router.on(RouteTable.entry(.delete, "/api/2.0/vigil/detections/{id}"), use: delete)
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/detections/{id}/backtest"), use: backtest)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/alert-history"), use: history)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/alerts/{id}"), use: alert)
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/alerts/{id}/acknowledge"), use: acknowledge)
    }

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let yaml = try await Self.yaml(request)
        let id: String
        do throws(SigmaParseFailure) {
            id = try RuleSource.objectID(yaml, generated: RandomID.hex(byteCount: 8))
        } catch {
            throw VigilError(.invalidParameter, "the rule has problems:\n\(error)")
        }
        context.auditNote.set("rule_id", id)
        let userName = try context.requirePrincipal().userName
        let service = service
        let (stored, rules) = try await service.change {
            if try await service.store.rule(id: id) != nil {
                throw VigilError(.resourceAlreadyExists, "a detection rule with id \(id.prefix(128)) already exists; update it with PUT")
            }
            let rules = try service.check(replacing: id, with: yaml)
            let stored = try await service.store.create(id: id, yaml: yaml, by: userName)
            do {
                try await service.reloadNow()
            } catch {
                // Checked, yet the set did not load (a rule file changed meanwhile): nothing stays stored.
                try? await service.store.delete(id: id)
                throw error
            }
            return (stored, rules)
        }
        return JSONResponse.make(JSONWriter.text(of: Self.value(stored, rules: rules)).utf8Bytes, status: .created)
    }

    @Sendable func update(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        let yaml = try await Self.yaml(request)
        let userName = try context.requirePrincipal().userName
        let service = service
        let (stored, rules) = try await service.change {
            guard let previous = try await service.store.rule(id: id) else { throw DetectionStore.notFound(id) }
            let rules = try service.check(replacing: id, with: yaml)
            if rules.count == 1, let own = rules[0].rule.id, own != id {
                throw VigilError(.invalidParameter, "id '\(own.prefix(128))' in the rule differs from the rule in the path ('\(id.prefix(128))'); a rule cannot be renamed")
            }
            let stored = try await service.store.update(id: id, yaml: yaml, by: userName)
            do {
                try await service.reloadNow()
            } catch {
                _ = try? await service.store.update(id: id, yaml: previous.yaml, by: previous.updatedBy)
                throw error
            }
            return (stored, rules)
        }
        return JSONResponse.make(JSONWriter.text(of: Self.value(stored, rules: rules)).utf8Bytes)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        guard let stored = try await service.store.rule(id: id) else { throw DetectionStore.notFound(id) }
        let rules = service.loadedRules.filter { $0.origin == "api:\(id)" }
        return JSONResponse.make(JSONWriter.text(of: Self.value(stored, rules: rules)).utf8Bytes)
    }

    @Sendable func delete(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        let service = service
        try await service.change {
            guard let previous = try await service.store.rule(id: id) else { throw DetectionStore.notFound(id) }
            // A rule another rule's correlation counts cannot go first.
            _ = try service.check(replacing: id, with: nil)
            try await service.store.delete(id: id)
            do {
                try await service.reloadNow()
            } catch {
                _ = try? await service.store.create(id: id, yaml: previous.yaml, by: previous.createdBy)
                throw error
            }
        }
        return JSONResponse.make(Array("{}".utf8))
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let rules = service.loadedRules.map(Self.value)
        let refused = service.fileProblems.sorted { $0.key < $1.key }.map { path, problems in
            JSONValue.object([JSONMember("path", .string(path)), JSONMember("problems", .array(problems.map(JSONValue.string)))])
        }
        return JSONResponse.make(JSONWriter.text(of: .object([
            JSONMember("detections", .array(rules)), JSONMember("refused_files", .array(refused)),
        ])).utf8Bytes)
    }

    /// Replays stored events from `start_time` (inclusive) to `end_time` (exclusive) through a fresh copy of the
    /// loaded rules, answering what the object's rules would have fired.
    @Sendable func backtest(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.id(context)
        let body = try await RequestBody.collect(request, limit: 64 << 10)
        let json: JSONValue
        do {
            json = try JSONParser.parse(body, rejectsDuplicateKeys: true)
        } catch {
            throw VigilError(.invalidParameter, "the request body is not valid JSON: \(error)")
        }
        guard case .object(let members) = json else { throw VigilError(.invalidParameter, "the request body must be a JSON object") }
        for member in members where member.key != "start_time" && member.key != "end_time" {
            throw VigilError(.invalidParameter, "\(member.key.prefix(64)) is not a backtest field (start_time, end_time)")
        }
        func time(_ key: String) throws -> Int64 {
            guard case .string(let text)? = json[key] else { throw VigilError(.invalidParameter, "\(key) is required: an RFC 3339 time") }
            guard let millis = Timestamp.parseRFC3339(text) else { throw VigilError(.invalidParameter, "\(key) '\(text.prefix(64))' is not an RFC 3339 time") }
            return millis
        }
        let start = try time("start_time")
        let end = try time("end_time")
        guard start < end else { throw VigilError(.invalidParameter, "end_time must be after start_time") }
        let loaded = service.loadedRules
        let own = Set(loaded.filter { $0.origin == "api:\(id)" || $0.id == id }.map(\.id))
        guard !own.isEmpty else { throw DetectionStore.notFound(id) }
        // The rule (or the object's rules) and the rules its correlations count, nothing else.
        var wanted = own
        for rule in loaded where own.contains(rule.id) {
            if case .correlation(let correlation) = rule.rule.body {
                for reference in correlation.rules {
                    if let base = loaded.first(where: { $0.id == reference || $0.rule.id == reference || $0.rule.name == reference }) { wanted.insert(base.id) }
                }
            }
        }
        var evaluator = DetectionEvaluator(rules: try RuleSet(loaded.filter { wanted.contains($0.id) }))
        var hits: [DetectionHit] = []
        var scanned = 0
        var cursor: EventCursor?
        repeat {
            let page = try await events.list(filter: EventFilter(startMillis: start, endMillis: end), order: .ascending, pageSize: 5000, after: cursor)
            // Stored events do not say who wrote them: a backtest skips every alert-transition record, Vigil's or not.
            for stored in page.events where !(stored.event.serviceName == "vigil" && DetectionService.alertRecords.contains(stored.event.actionName)) {
                hits += evaluator.evaluate(stored.event).filter { own.contains($0.ruleID) }
            }
            scanned += page.events.count
            cursor = page.next
        } while cursor != nil && scanned < Self.maxBacktestEvents && hits.count < Self.maxBacktestHits
        hits = Array(hits.prefix(Self.maxBacktestHits))
        return JSONResponse.make(JSONWriter.text(of: .object([
            JSONMember("rule_id", .string(id)),
            JSONMember("events_scanned", .number(String(scanned))),
            JSONMember("truncated", .bool(cursor != nil || hits.count >= Self.maxBacktestHits)),
            JSONMember("hits", .array(hits.map(Self.value))),
        ])).utf8Bytes)
    }

    @Sendable func history(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["rule_id", "state", "page_size", "page_token"])
        let state = try query.string("state").map { $0.uppercased() }
        if let state, !(AlertState.open + ["RESOLVED"]).contains(state) {
            throw VigilError(.invalidParameter, "state must be one of TRIGGERED, SILENCED, ACKNOWLEDGED or RESOLVED")
        }
        let pageSize = try query.integer("page_size", range: 1...1000) ?? 100
        var before: Int64?
        if let token = try query.string("page_token") {
            guard let value = Int64(token), value > 0 else { throw VigilError(.invalidParameter, "page_token is not one this server gave") }
            before = value
        }
        let records = try await service.store.history(ruleID: try query.string("rule_id"), state: state, before: before, limit: pageSize + 1)
        var members = [JSONMember("alerts", .array(records.prefix(pageSize).map(Self.value)))]
        if records.count > pageSize, let last = records.prefix(pageSize).last {
            members.append(JSONMember("next_page_token", .string(String(last.alertID))))
        }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    /// Someone took the alert: the request's audit event (`acknowledgeAlert`) records who and when.
    @Sendable func acknowledge(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.alertID(context)
        let alert = try await service.store.acknowledge(id: id, by: try context.requirePrincipal().userName)
        return JSONResponse.make(JSONWriter.text(of: Self.value(alert)).utf8Bytes)
    }

    static func alertID(_ context: VigilRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw VigilError(.invalidParameter, "the alert id must be a positive integer")
        }
        context.auditNote.set("alert_id", String(id))
        return id
    }

    /// One alert with its notifications: where each went, in what state, after how many attempts, and why the
    /// last one failed.
    @Sendable func alert(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let id = try Self.alertID(context)
        guard let alert = try await service.store.alert(id: id) else { throw VigilError(.notFound, "alert \(id) does not exist") }
        let notifications = try await service.store.database.pool.read { db in
            try NotificationOutbox.list(db, alertID: id, before: nil, limit: 1000)
        }
        guard case .object(var members) = Self.value(alert) else { return JSONResponse.make(Array("{}".utf8)) }
        members.append(JSONMember("notifications", .array(notifications.reversed().map(NotificationOutbox.json))))
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    // MARK: Shapes

    static func yaml(_ request: Request) async throws -> String {
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"].contains(type) else {
            throw VigilError(.invalidParameter, "Content-Type must be application/yaml: the body is the rule's Sigma YAML (got '\(type.prefix(64))')")
        }
        let bytes = try await RequestBody.collect(request, limit: maxBodyBytes)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw VigilError(.invalidParameter, "the rule is not valid UTF-8") }
        return text
    }

    static func id(_ context: VigilRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 128 else { throw VigilError(.invalidParameter, "id is invalid") }
        context.auditNote.set("rule_id", id)
        return id
    }

    static func value(_ stored: DetectionRuleText, rules: [LoadedRule]) -> JSONValue {
        .object([
            JSONMember("id", .string(stored.id)),
            JSONMember("title", .string(rules.first?.rule.title ?? "")),
            JSONMember("rules", .array(rules.map(value))),
            JSONMember("yaml", .string(stored.yaml)),
            JSONMember("created_by", .string(stored.createdBy)),
            JSONMember("create_time", .string(Timestamp.formatRFC3339(millis: stored.createdMillis))),
            JSONMember("updated_by", .string(stored.updatedBy)),
            JSONMember("update_time", .string(Timestamp.formatRFC3339(millis: stored.updatedMillis))),
        ])
    }

    static func value(_ loaded: LoadedRule) -> JSONValue {
        var type = "detection"
        if case .correlation(let correlation) = loaded.rule.body { type = correlation.kind.rawValue }
        var members = [
            JSONMember("id", .string(loaded.id)), JSONMember("title", .string(loaded.rule.title)),
            JSONMember("level", .string(loaded.rule.level.rawValue)), JSONMember("type", .string(type)),
            JSONMember("origin", .string(loaded.origin)),
        ]
        if !loaded.rule.notify.isEmpty { members.append(JSONMember("notify", .array(loaded.rule.notify.map(JSONValue.string)))) }
        return .object(members)
    }

    static func value(_ hit: DetectionHit) -> JSONValue {
        .object([
            JSONMember("rule_id", .string(hit.ruleID)), JSONMember("title", .string(hit.title)),
            JSONMember("level", .string(hit.level.rawValue)), JSONMember("type", .string(hit.kind)),
            JSONMember("count", .number(String(hit.count))),
            JSONMember("event_time", .string(Timestamp.formatRFC3339(millis: hit.timeMillis))),
            JSONMember("group", .object(hit.group.map { JSONMember($0.field, $0.value.map(JSONValue.string) ?? .null) })),
            JSONMember("event_ids", .array(hit.eventIDs.map(JSONValue.string))),
        ])
    }

    static func value(_ alert: AlertRecord) -> JSONValue {
        .object([
            JSONMember("alert_id", .string(String(alert.alertID))), JSONMember("rule_id", .string(alert.ruleID)),
            JSONMember("workspace_id", alert.workspaceID.map(JSONValue.string) ?? .null),
            JSONMember("title", .string(alert.title)), JSONMember("level", .string(alert.level)),
            JSONMember("type", .string(alert.kind)), JSONMember("state", .string(alert.state)),
            JSONMember("fired_time", .string(Timestamp.formatRFC3339(millis: alert.firedMillis))),
            JSONMember("event_time", .string(Timestamp.formatRFC3339(millis: alert.eventMillis))),
            JSONMember("count", .number(String(alert.count))),
            JSONMember("group", .object(alert.group.map { JSONMember($0.field, $0.value.map(JSONValue.string) ?? .null) })),
            JSONMember("event_ids", .array(alert.eventIDs.map(JSONValue.string))),
            JSONMember("notify", .array(alert.notify.map(JSONValue.string))),
            JSONMember("resolved_time", alert.resolvedMillis.map { .string(Timestamp.formatRFC3339(millis: $0)) } ?? .null),
            JSONMember("acknowledged_by", alert.acknowledgedBy.map(JSONValue.string) ?? .null),
            JSONMember("acknowledged_time", alert.acknowledgedMillis.map { .string(Timestamp.formatRFC3339(millis: $0)) } ?? .null),
            JSONMember("silenced_by", alert.silencedBy.map(JSONValue.string) ?? .null),
        ])
    }
}
