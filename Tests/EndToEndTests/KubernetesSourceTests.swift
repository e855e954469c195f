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

    @Test("a body that is not an audit EventList is refused whole with every problem by item; nothing is stored")
    func refusals() async throws {
        try await LiveServer.run { server in
            let bad = try await server.request(.POST, "/api/2.0/vigil/sources/kubernetes", json: """
                {"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[
                 {"auditID":"ok-1","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"2026-11-30T09:00:00.000000Z"},
                 {"stage":"ResponseComplete","verb":"get"}]}
                """)
            #expect(bad.status == 400)
            #expect(bad.text.contains("event 1: auditID"), "\(bad.text)")
            let notJSON = try await server.request(.POST, "/api/2.0/vigil/sources/kubernetes", json: "not json")
            #expect(notJSON.status == 400)
            let page = try await server.request(.GET, "/api/2.0/audit/events?service_name=kubernetes").json()
            #expect(page["events"] == .array([]) || page["events"] == nil)
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"vigil_source_events_total{source="kubernetes",outcome="refused"} 3"#))
        }
    }
}
