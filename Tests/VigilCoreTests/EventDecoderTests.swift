import Testing
@testable import VigilCore

@Suite("Event validation and mapping")
struct EventDecoderTests {
    static let now: Int64 = 1_700_000_000_000  // 2023-11-14T22:13:20Z
    let decoder = EventDecoder()

    func decode(_ json: String) throws -> (AuditEvent?, [ValidationProblem]) {
        var problems: [ValidationProblem] = []
        let event = decoder.decode(try JSONParser.parse(json), index: 0, nowMillis: Self.now, problems: &problems)
        return (event, problems)
    }

    static let valid = #""service_name":"accounts","action_name":"login","event_time":"2023-11-14T22:00:00Z""#

    @Test("each invalid input is reported with its field and stable reason", arguments: [
        (#"{"action_name":"login","event_time":"2023-11-14T22:00:00Z"}"#, "service_name", ValidationReason.missingServiceName),
        (#"{"service_name":"accounts","event_time":"2023-11-14T22:00:00Z"}"#, "action_name", .missingActionName),
        (#"{"service_name":"accounts","action_name":""}"#, "event_time", .missingEventTime),
        (#"{"service_name":"a","action_name":"b","event_time":"yesterday"}"#, "event_time", .invalidEventTime),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:19:00Z"}"#, "event_time", .eventTimeInFuture),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","event_date":"2023-11-13"}"#, "event_date", .eventDateMismatch),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","event_id":"has space"}"#, "event_id", .invalidEventID),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","audit_level":"TEAM"}"#, "audit_level", .invalidAuditLevel),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","response":{"status_code":1e3}}"#, "response.status_code", .invalidStatusCode),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","colour":"red"}"#, "colour", .unknownField),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","user_identity":{"mail":"x"}}"#, "user_identity.mail", .unknownField),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","service_name":"c"}"#, "service_name", .duplicateField),
        (#"{"service_name":7,"action_name":"b","event_time":"2023-11-14T22:00:00Z"}"#, "service_name", .wrongType),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","request_params":[1]}"#, "request_params", .wrongType),
        (#"{"serviceName":"a","actionName":"b","timestamp":"1700000000000"}"#, "timestamp", .wrongType),
        (#"{"serviceName":"a","actionName":"b","timestamp":1.5e12}"#, "timestamp", .invalidEventTime),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","user_agent":"x\u0000y"}"#, "user_agent", .nulCharacter),
        (#"{"service_name":"a","action_name":"b","event_time":"2023-11-14T22:00:00Z","request_params":{"k":"\u0000"}}"#, "request_params.k", .nulCharacter),
    ])
    func reportsReason(_ json: String, _ field: String, _ reason: ValidationReason) throws {
        let (event, problems) = try decode(json)
        #expect(event == nil)
        #expect(problems.contains { $0.field == field && $0.reason == reason }, "got \(problems)")
    }

    @Test("reports every problem of an event at once")
    func reportsAllProblems() throws {
        let (_, problems) = try decode(#"{"x":1,"event_time":5}"#)
        #expect(Set(problems.map(\.reason)) == [.missingServiceName, .missingActionName, .wrongType, .unknownField])
    }

    @Test("a non-object event is not_an_object")
    func nonObject() throws {
        let (_, problems) = try decode("[1]")
        #expect(problems.map(\.reason) == [.notAnObject])
    }

    @Test("the table and delivery shapes map to the same stored event")
    func shapesAgree() throws {
        let table = try decode("""
            {"account_id":"acc","workspace_id":"123","version":"2.0","event_time":"2023-11-14T22:00:00.250Z",
             "source_ip_address":"10.0.0.1","user_agent":"curl","session_id":"s","user_identity":{"email":"a@x.com","subject_name":null},
             "service_name":"clusters","action_name":"create","request_id":"r1","request_params":{"cluster_id":"c1"},
             "response":{"status_code":200,"error_message":null,"result":"ok"},"audit_level":"WORKSPACE_LEVEL","event_id":"e1",
             "identity_metadata":{"run_by":"a@x.com","run_as":"sp","acting_resource":"app1"}}
            """)
        let delivery = try decode("""
            {"accountId":"acc","orgId":123,"version":"2.0","timestamp":1699999200250,"sourceIPAddress":"10.0.0.1",
             "userAgent":"curl","sessionId":"s","userIdentity":{"email":"a@x.com"},"serviceName":"clusters",
             "actionName":"create","requestId":"r1","requestParams":{"cluster_id":"c1"},
             "response":{"statusCode":200,"result":"ok"},"auditLevel":"WORKSPACE_LEVEL","eventId":"e1","shardName":"shard-1",
             "identityMetadata":{"runBy":"a@x.com","runAs":"sp","actingResource":"app1"}}
            """)
        #expect(table.1.isEmpty && delivery.1.isEmpty, "\(table.1) \(delivery.1)")
        let stored = try #require(table.0)
        #expect(stored == (try #require(delivery.0)))
        #expect(stored.eventDate == "2023-11-14")
        #expect(stored.workspaceID == "123")
    }

    @Test("request_params values become strings: nested JSON as compact text, numbers and booleans as their text")
    func requestParamsAreStrings() throws {
        let (event, problems) = try decode("""
            {\(Self.valid),"request_params":{"app":{"name":"x","user_api_scopes":["sql", "iam"]},"n":1.50,"b":true,"z":null,"s":"v"}}
            """)
        #expect(problems.isEmpty)
        let params = try #require(event?.requestParams)
        #expect(params.map(\.key) == ["app", "b", "n", "s"])
        #expect(params.map(\.value) == [#"{"name":"x","user_api_scopes":["sql","iam"]}"#, "true", "1.50", "v"])
    }

    @Test("a missing event_id is derived from the content, so a retry gets the same id")
    func derivedEventID() throws {
        let first = try #require(try decode("{\(Self.valid)}").0).withDerivedEventIDIfMissing()
        let again = try #require(try decode("{\(Self.valid)}").0).withDerivedEventIDIfMissing()
        let other = try #require(try decode(#"{"service_name":"accounts","action_name":"logout","event_time":"2023-11-14T22:00:00Z"}"#).0)
            .withDerivedEventIDIfMissing()
        #expect(first.eventID.count == 32 && first.eventID.allSatisfy(\.isHexDigit))
        #expect(first.eventID == again.eventID)
        #expect(first.eventID != other.eventID)
    }

    @Test("the canonical encoding lists every column in DDL order")
    func canonicalEncoding() throws {
        let event = try #require(try decode("{\(Self.valid),\"event_id\":\"e\"}").0)
        let text = String(decoding: event.canonicalBytes(), as: UTF8.self)
        #expect(text == #"{"account_id":null,"workspace_id":null,"version":null,"event_time":"2023-11-14T22:00:00.000Z","event_date":"2023-11-14","source_ip_address":null,"user_agent":null,"session_id":null,"user_identity":null,"service_name":"accounts","action_name":"login","request_id":null,"request_params":null,"response":null,"audit_level":null,"event_id":"e","identity_metadata":null}"#)
    }
}

@Suite("Ingest bodies")
struct IngestBodyTests {
    @Test("a JSON array, an events wrapper and a single object all yield events")
    func jsonForms() {
        for body in [#"[{"a":1},{"b":2}]"#, #"{"events":[{"a":1},{"b":2}]}"#] {
            var problems: [ValidationProblem] = []
            let items = IngestBody.split(Array(body.utf8), format: .json, problems: &problems)
            #expect(items.count == 2 && problems.isEmpty)
        }
        var problems: [ValidationProblem] = []
        #expect(IngestBody.split(Array(#"{"a":1}"#.utf8), format: .json, problems: &problems).count == 1)
    }

    @Test("NDJSON reports a bad line at its event index and keeps reading")
    func ndjsonBadLine() {
        var problems: [ValidationProblem] = []
        let body = "{\"a\":1}\n\n{oops\n{\"c\":3}\n"
        let items = IngestBody.split(Array(body.utf8), format: .ndjson, problems: &problems)
        #expect(items.count == 3)
        #expect(problems.map(\.index) == [1])
        #expect(problems.first?.reason == .malformedJSON)
        #expect(problems.first?.detail.contains("line 3") == true)
    }

    @Test("content types select the format")
    func contentTypes() {
        #expect(IngestBody.format(contentType: "application/x-ndjson; charset=utf-8") == .ndjson)
        #expect(IngestBody.format(contentType: "application/json") == .json)
        #expect(IngestBody.format(contentType: nil) == .json)
    }
}
