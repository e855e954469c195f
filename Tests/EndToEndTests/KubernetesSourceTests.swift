import Foundation
import Testing
import VigilCore
import VigilTesting

/// The Kubernetes audit webhook backend's POST, as the API server sends it, against a real server.
@Suite("Kubernetes audit source")
struct KubernetesSourceTests {
    static let eventList = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VigilExportTests/Golden/kubernetes-eventlist.json")

    @Test("an EventList is stored as kubernetes rows, queryable by SQL; the batch resent stores nothing twice; counted per source")
    func ingest() async throws {
        let body = Array(try Data(contentsOf: Self.eventList))
        try await LiveServer.run { server in
            let first = try await server.request(.POST, "/api/2.0/vigil/sources/kubernetes", body: body)
            #expect(first.status == 200, "\(first.text)")
            #expect(try first.json()["accepted"] == .number("4"))
            let again = try await server.request(.POST, "/api/2.0/vigil/sources/kubernetes", body: body)
            #expect(try again.json()["duplicates"] == .number("4"))
            let page = try await server.request(.GET, "/api/2.0/audit/events?service_name=kubernetes&page_size=10").json()
            guard case .array(let events)? = page["events"] else { Issue.record("\(page)"); return }
            #expect(events.count == 4)
            let forbidden = events.first { $0["action_name"] == .string("listSecrets") }
            #expect(forbidden?["response"]?["status_code"] == .number("403"))
            #expect(forbidden?["user_identity"]?["email"] == .string("system:serviceaccount:ci:deployer"))
            let sql = try await server.request(.POST, "/api/2.0/sql/statements", json: """
                {"statement":"SELECT action_name, request_params['namespace'] FROM system.access.audit WHERE service_name = 'kubernetes' AND identity_metadata.run_as = 'system:admin'","wait_timeout":"30s"}
                """).json()
            #expect(sql["result"]?["data_array"] == .array([.array([.string("createPodsExec"), .string("prod")])]), "\(sql)")
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"vigil_source_events_total{source="kubernetes",outcome="stored"} 4"#))
            #expect(metrics.contains(#"vigil_source_events_total{source="kubernetes",outcome="duplicate"} 4"#))
        }
    }

    @Test("a bad item is left out and named while the rest is stored (the API server drops a batch it gets a 4xx for); a body that is not an EventList is a 400")
    func refusals() async throws {
        try await LiveServer.run { server in
            let mixed = try await server.request(.POST, "/api/2.0/vigil/sources/kubernetes", json: """
                {"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[
                 {"auditID":"ok-1","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2026-11-30T09:00:00.000000Z"},
                 {"stage":"ResponseComplete","verb":"get"},
                 {"auditID":"nul-1","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2026-11-30T09:00:00.000000Z","objectRef":{"resource":"pods","name":"a\\u0000b"}}]}
                """)
            #expect(mixed.status == 200, "\(mixed.text)")
            let answer = try mixed.json()
            #expect(answer["accepted"] == .number("1") && answer["refused"] == .number("2"))
            #expect(mixed.text.contains("event 1: auditID"), "\(mixed.text)")
            #expect(mixed.text.contains("event 2: request_params.name"), "\(mixed.text)")
            let notJSON = try await server.request(.POST, "/api/2.0/vigil/sources/kubernetes", json: "not json")
            #expect(notJSON.status == 400)
            let wrongVersion = try await server.request(.POST, "/api/2.0/vigil/sources/kubernetes", json: #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[]}"#)
            #expect(wrongVersion.status == 400)
            let page = try await server.request(.GET, "/api/2.0/audit/events?service_name=kubernetes").json()
            guard case .array(let events)? = page["events"] else { Issue.record("\(page)"); return }
            #expect(events.map { $0["event_id"] } == [.string("k8s-ok-1-ResponseComplete")])
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"vigil_source_events_total{source="kubernetes",outcome="refused"} 4"#))
        }
    }
}
