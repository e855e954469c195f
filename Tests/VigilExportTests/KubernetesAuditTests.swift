import Foundation
import Testing
import VigilCore
@testable import VigilExport

/// The Kubernetes audit mapping, golden-tested on audit events as API servers send them (a kubectl-run capture,
/// a forbidden list by a service account, an impersonated exec, an unauthenticated probe at RequestReceived).
struct KubernetesAuditTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    @Test("an EventList maps to the expected rows, which the ingest decoder accepts; request and response bodies are dropped")
    func goldenMapping() throws {
        let body = try JSONParser.parse(Array(try Data(contentsOf: Self.golden.appendingPathComponent("kubernetes-eventlist.json"))))
        var problems: [ValidationProblem] = []
        var structural = false
        let rows = KubernetesAudit.tableEvents(body, workspaceID: "7", problems: &problems, structural: &structural).map(\.value)
        #expect(!structural)
        #expect(problems.isEmpty, "\(problems)")
        let expected = try String(contentsOf: Self.golden.appendingPathComponent("kubernetes-eventlist.expected.ndjson"), encoding: .utf8)
            .split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
        #expect(rows.count == expected.count)
        for (row, want) in zip(rows, expected) {
            #expect(row == want, "\(JSONWriter.text(of: row))")
            var decodeProblems: [ValidationProblem] = []
            let event = EventDecoder().decode(row, index: 0, nowMillis: Int64.max / 4, problems: &decodeProblems)
            #expect(decodeProblems.isEmpty, "\(decodeProblems)")
            #expect(event?.serviceName == "kubernetes")
        }
        #expect(!rows.map { JSONWriter.text(of: $0) }.joined().contains("httpd"), "the pod spec (request body) is not kept")
    }

    @Test("refusals: not JSON objects, a list without items, another API version, an event without auditID or with a bad time")
    func refusals() throws {
        func problems(_ text: String) throws -> [ValidationProblem] {
            var found: [ValidationProblem] = []
            var structural = false
            _ = KubernetesAudit.tableEvents(try JSONParser.parse(text), workspaceID: nil, problems: &found, structural: &structural)
            return found
        }
        #expect(try problems("[1]").first?.reason == .notAnObject)
        #expect(try problems(#"{"kind":"EventList","items":{}}"#).first?.field == "items")
        #expect(try problems(#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[]}"#).first?.detail.contains("audit.k8s.io/v1") == true)
        #expect(try problems(#"{"kind":"EventList","items":[{"stage":"ResponseComplete","verb":"get"}]}"#).first?.reason == .missingField)
        let bad = try problems(#"{"kind":"EventList","items":[5,{"auditID":"a","stage":"ResponseComplete","verb":"get","requestReceivedTimestamp":"yesterday"}]}"#)
        #expect(bad.map(\.index) == [0, 1])
        #expect(bad.map(\.reason) == [.notAnObject, .invalidEventTime])
    }

    @Test("action names: verb + resource (+ subresource) in camelCase; event ids stay in the id alphabet")
    func names() {
        #expect(KubernetesAudit.camel("pods") == "Pods")
        #expect(KubernetesAudit.camel("cluster-roles") == "ClusterRoles")
        #expect(KubernetesAudit.eventID(auditID: "a b/c", stage: "ResponseComplete") == "k8s-a-b-c-ResponseComplete")
        #expect(KubernetesAudit.eventID(auditID: String(repeating: "x", count: 200), stage: "Panic").count == 128)
    }
}
