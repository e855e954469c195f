import Foundation
import Testing
import VigilCore
import VigilServer
import VigilTesting

@Suite("Ingest and query over HTTP")
struct IngestAndQueryTests {
    static func events(_ range: Range<Int>, end: Int64) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginArray()
        for n in range {
            if n > range.lowerBound { writer.comma() }
            EventFixtures.write(n, into: &writer, endMillis: end, spacingMillis: 60_000, userCount: 10)
        }
        writer.endArray()
        return writer.bytes
    }

    static func seqs(_ exchange: HTTPExchange) throws -> [Int64] {
        guard case .array(let events)? = try exchange.json()["events"] else { return [] }
        return events.compactMap { if case .number(let text)? = $0["seq"] { Int64(text) } else { nil } }
    }

    static func eventIDs(_ exchange: HTTPExchange) throws -> [String] {
        guard case .array(let events)? = try exchange.json()["events"] else { return [] }
        return events.compactMap { if case .string(let id)? = $0["event_id"] { id } else { nil } }
    }

    @Test("ingested events come back through every filter")
    func everyFilter() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            let ingest = try await server.request(.POST, "/api/2.0/audit/events", body: Self.events(0..<200, end: end))
            #expect(ingest.status == 200, "\(ingest.text)")
            #expect(try Self.seqs(ingest).count == 200)
            let start = Timestamp.formatRFC3339(millis: end - 30 * 60_000)
            let cases: [(String, Int)] = [
                ("user=user3@example.com", 20),
                ("service_name=clusters", 25),
                ("action_name=login&action_name=getTable", 50),
                ("workspace_id=1000001", 50),
                ("source_ip_address=10.30.7.7", 1),
                ("request_id=ServiceMain-4529754271", 1),
                ("status_code=403", 4),
                ("start_time=\(start)&service_name=accounts", 4),
                ("start_time=\(end - 30 * 60_000)&end_time=\(end - 10 * 60_000)&service_name=accounts", 2),
            ]
            for (query, expected) in cases {
                let listed = try await server.request(.GET, "/api/2.0/audit/events?page_size=1000&\(query)")
                #expect(listed.status == 200, "\(query): \(listed.text)")
                #expect(try Self.eventIDs(listed).count == expected, "\(query)")
            }
            let one = try await server.request(.GET, "/api/2.0/audit/events/\(EventFixtures.event(5, endMillis: end).eventID)")
            #expect(one.status == 200)
            #expect(one.body == EventFixtures.event(5, endMillis: end, spacingMillis: 60_000, userCount: 10).canonicalBytes())
            let missing = try await server.request(.GET, "/api/2.0/audit/events/nope")
            #expect(missing.status == 404)
            // Reads by id are audited under their own action, with the id asked for.
            let reads = try await server.request(.GET, "/api/2.0/audit/events?action_name=getAuditEvent")
            #expect(try Self.eventIDs(reads).count == 2)
            #expect(try missing.json()["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))
        }
    }

    @Test("bad query parameters are refused with 400 naming the parameter", arguments: [
        "start_time=yesterday", "page_size=0", "page_size=1001", "order=sideways", "usr=a", "page_token=garbage",
        "status_code=abc", "start_time=2024-01-02T00:00:00Z&end_time=2024-01-01T00:00:00Z",
    ])
    func badParameters(_ query: String) async throws {
        try await LiveServer.run { server in
            let reply = try await server.request(.GET, "/api/2.0/audit/events?\(query)")
            #expect(reply.status == 400)
            #expect(try reply.json()["error_code"] == .string("INVALID_PARAMETER_VALUE"))
            let name = String(query.prefix { $0 != "=" })
            if case .string(let message)? = try reply.json()["message"] { #expect(message.contains(name)) }
        }
    }

    @Test("pagination returns each event exactly once while another task ingests")
    func paginationWhileIngesting() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis() - 3_600_000
            _ = try await server.request(.POST, "/api/2.0/audit/events", body: Self.events(0..<300, end: end))
            let walk = Task {
                var ids: [String] = []
                var token: String?
                repeat {
                    let path = "/api/2.0/audit/events?service_name=jobs&page_size=7" + (token.map { "&page_token=\($0)" } ?? "")
                    let page = try await server.request(.GET, path)
                    ids += try Self.eventIDs(page)
                    if case .string(let next)? = try page.json()["next_page_token"] { token = next } else { token = nil }
                } while token != nil
                return ids
            }
            for batch in 0..<5 {
                let more = Self.events((1000 + batch * 40)..<(1040 + batch * 40), end: end + 1_800_000)
                _ = try await server.request(.POST, "/api/2.0/audit/events", body: more)
            }
            let ids = try await walk.value
            #expect(ids.count == Set(ids).count, "duplicates across pages")
            // Fixture service index 2 is "jobs".
            let expected = (0..<300).filter { $0 % 8 == 2 }.map { EventFixtures.event($0, endMillis: end).eventID }
            #expect(Set(expected).isSubset(of: Set(ids)), "skipped events that existed before the walk")
        }
    }

    @Test("a retried request is idempotent; the same id with other content is 409 and a security event")
    func idempotencyAndConflict() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            let body = Self.events(0..<3, end: end)
            let first = try await server.request(.POST, "/api/2.0/audit/events", body: body)
            let retry = try await server.request(.POST, "/api/2.0/audit/events", body: body)
            #expect(try Self.seqs(first) == (try Self.seqs(retry)))
            #expect(try retry.json()["duplicates"] == .number("3"))
            var changed = EventFixtures.event(1, endMillis: end, spacingMillis: 60_000, userCount: 10)
            changed.actionName = "deleteTable"
            let conflict = try await server.request(.POST, "/api/2.0/audit/events", body: Array("[\(String(decoding: changed.canonicalBytes(), as: UTF8.self))]".utf8))
            #expect(conflict.status == 409)
            #expect(conflict.text.contains("event_id_conflict"))
            let security = try await server.request(.GET, "/api/2.0/audit/events?action_name=eventIdConflict")
            #expect(try Self.eventIDs(security).count == 1)
        }
    }

    @Test("invalid events reject the whole request, listing every problem")
    func wholeRequestRejected() async throws {
        try await LiveServer.run { server in
            let body = #"[{"service_name":"a","action_name":"b","event_time":"2024-01-01T00:00:00Z"},{"service_name":"a"},{"x":1}]"#
            let reply = try await server.request(.POST, "/api/2.0/audit/events", json: body)
            #expect(reply.status == 400)
            guard case .array(let details)? = try reply.json()["details"] else { Issue.record("no details"); return }
            #expect(details.count == 6)
            #expect(details.contains { $0["index"] == .number("2") && $0["reason"] == .string("unknown_field") })
            let stored = try await server.request(.GET, "/api/2.0/audit/events?service_name=a")
            #expect(try Self.eventIDs(stored).isEmpty)
            let bad = try await server.request(.POST, "/api/2.0/audit/events", body: [0x5B, 0x22, 0xC3, 0x28, 0x22, 0x5D])
            #expect(bad.status == 400 && bad.text.contains("invalid_utf8"))
        }
    }

    @Test("NDJSON bodies are accepted")
    func ndjson() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            let lines = (0..<5).map { EventFixtures.tableJSON($0, endMillis: end) }.joined(separator: "\n")
            let reply = try await server.request(.POST, "/api/2.0/audit/events", body: Array(lines.utf8), contentType: "application/x-ndjson")
            #expect(reply.status == 200)
            #expect(try reply.json()["accepted"] == .number("5"))
            // Exactly one self-audit record for the request, written with its events.
            let audit = try await server.request(.GET, "/api/2.0/audit/events?action_name=ingestAuditEvents")
            guard case .array(let records)? = try audit.json()["events"] else { Issue.record("no audit records"); return }
            #expect(records.count == 1)
            #expect(records.first?["request_params"]?["accepted"] == .string("5"))
            #expect(records.first?["response"]?["status_code"] == .number("200"))
            #expect(records.first?["request_id"] == .string(reply.headers.first(name: "X-Request-Id") ?? "?"))
        }
    }

    @Test("limits: a body over the request limit is 413, a full queue is 429 with Retry-After")
    func limits() async throws {
        var configuration = VigilConfiguration()
        configuration.limits = IngestLimits(maxEventBytes: 2_000, maxRequestBytes: 10_000)
        configuration.sequencer = .init(maxQueuedEvents: 10)
        try await LiveServer.run(configuration: configuration) { server in
            let end = SystemWallClock().nowMillis()
            let large = try await server.request(.POST, "/api/2.0/audit/events", body: Self.events(0..<40, end: end))
            #expect(large.status == 413)
            let full = try await server.request(.POST, "/api/2.0/audit/events", body: Self.events(0..<11, end: end))
            #expect(full.status == 429)
            #expect(full.headers.first(name: "Retry-After") == "1")
            let fat = #"[{"service_name":"a","action_name":"b","event_time":"2024-01-01T00:00:00Z","request_id":"\#(String(repeating: "x", count: 3000))"}]"#
            let tooLarge = try await server.request(.POST, "/api/2.0/audit/events", json: fat)
            #expect(tooLarge.status == 400 && tooLarge.text.contains("event_too_large"))
        }
    }
}
