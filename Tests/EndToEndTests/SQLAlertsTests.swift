import Foundation
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// SQL alerts (Alerts V2): a query on a schedule, run as its owner, moving UNKNOWN → TRIGGERED → OK with its
/// notifications, history and audit; changed by update mask, trashed and purged; refused for those who may not run
/// SQL; invisible to others.
@Suite("SQL alerts")
struct SQLAlertsTests {
    static func alert(destination: String?, threshold: Int, table: String = "system.access.audit") -> String {
        let notification = destination.map { #","notification":{"notify_on_ok":true,"subscriptions":[{"destination_id":"\#($0)"}]}"# } ?? ""
        return """
            {"display_name":"secret reads","query_text":"SELECT count(*) AS reads FROM \(table) WHERE action_name = 'getSecret'","warehouse_id":"vigil",
             "evaluation":{"source":{"name":"reads"},"comparison_operator":"GREATER_THAN_OR_EQUAL","threshold":{"value":{"double_value":\(threshold)}}\(notification)},
             "schedule":{"quartz_cron_schedule":"* * * * * ?","timezone_id":"UTC"}}
            """
    }

    @Test("TRIGGERED when the query says so (a firing notification, a sql_alert history row), OK again after a PATCH (resolved)")
    func lifecycle() async throws {
        try await WebhookReceiver.run { receiver in
            try await LiveServer.run(configuration: NotificationsTests.configuration()) { server in
                let hook = try await NotificationsTests.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"\#(receiver.url)/sql"}}}"#)
                guard case .string(let hookID)? = hook["id"] else { return }
                let created = try await server.request(.POST, "/api/2.0/alerts", json: Self.alert(destination: hookID, threshold: 2))
                #expect(created.status == 200, "\(created.text)")
                let alert = try created.json()
                guard case .string(let id)? = alert["id"] else { Issue.record("\(created.text)"); return }
                #expect(alert["lifecycle_state"] == .string("ACTIVE"))
                #expect(alert["evaluation"]?["state"] == .string("UNKNOWN"))
                #expect(alert["owner_user_name"] == .string("admin"))
                // Nothing to count yet: OK.
                try await AppLogsTests.eventually { try await server.request(.GET, "/api/2.0/alerts/\(id)").json()["evaluation"]?["state"] == .string("OK") }
                try await NotificationsTests.secretRead(server, id: "s1")
                try await NotificationsTests.secretRead(server, id: "s2")
                try await AppLogsTests.eventually { receiver.received.count == 1 }
                let firing = try JSONParser.parse(receiver.received[0].body)
                #expect(firing["status"] == .string("firing"))
                #expect(firing["commonLabels"]?["alertname"] == .string(id))
                #expect(firing["commonLabels"]?["reads"] == .string("2"))
                let got = try await server.request(.GET, "/api/2.0/alerts/\(id)").json()
                #expect(got["evaluation"]?["state"] == .string("TRIGGERED"))
                #expect(got["evaluation"]?["last_evaluated_at"] != nil)
                let history = try await server.request(.GET, "/api/2.0/vigil/alert-history?rule_id=\(id)").json()
                #expect(history["alerts"]?[0]?["type"] == .string("sql_alert"))
                #expect(history["alerts"]?[0]?["state"] == .string("TRIGGERED"))
                // Still TRIGGERED on later runs: no second notification (retrigger_seconds is 0).
                try await Task.sleep(for: .milliseconds(1500))
                #expect(receiver.received.count == 1)
                // A higher threshold by update mask: OK again, and a resolved notification.
                let patched = try await server.request(
                    .PATCH, "/api/2.0/alerts/\(id)?update_mask=evaluation.threshold",
                    json: #"{"evaluation":{"threshold":{"value":{"double_value":100}}}}"#)
                #expect(patched.status == 200, "\(patched.text)")
                #expect(try patched.json()["evaluation"]?["comparison_operator"] == .string("GREATER_THAN_OR_EQUAL"))
                try await AppLogsTests.eventually { receiver.received.count == 2 }
                #expect(try JSONParser.parse(receiver.received[1].body)["status"] == .string("resolved"))
                let resolved = try await server.request(.GET, "/api/2.0/vigil/alert-history?rule_id=\(id)").json()
                #expect(resolved["alerts"]?[0]?["state"] == .string("RESOLVED"))
                guard case .array(let audit)? = try await server.request(.GET, "/api/2.0/audit/events?service_name=vigil&page_size=500").json()["events"] else { return }
                let actions = audit.compactMap { row -> String? in if case .string(let action)? = row["action_name"] { action } else { nil } }
                #expect(actions.contains("alertTriggered") && actions.contains("alertResolved"))
                // Listed; trashed (still readable, DELETED, no longer listed or run); purged.
                #expect(try await server.request(.GET, "/api/2.0/alerts").json()["alerts"]?[0]?["id"] == .string(id))
                #expect(try await server.request(.DELETE, "/api/2.0/alerts/\(id)").status == 200)
                #expect(try await server.request(.GET, "/api/2.0/alerts/\(id)").json()["lifecycle_state"] == .string("DELETED"))
                #expect(try await server.request(.GET, "/api/2.0/alerts").json()["alerts"] == .array([]))
                #expect(try await server.request(.PATCH, "/api/2.0/alerts/\(id)?update_mask=display_name", json: #"{"display_name":"x"}"#).status == 404)
                #expect(try await server.request(.DELETE, "/api/2.0/alerts/\(id)?purge=true").status == 404, "a trashed alert is not ACTIVE")
                guard case .array(let changes)? = try await server.request(.GET, "/api/2.0/audit/events?service_name=databrickssql&page_size=100").json()["events"] else { return }
                #expect(changes.contains { $0["action_name"] == .string("createAlert") })
            }
        }
    }

    @Test("trashing a TRIGGERED alert resolves it and tells its subscribers; an owner deactivated puts the alert in ERROR")
    func trashAndDeactivatedOwner() async throws {
        try await WebhookReceiver.run { receiver in
            try await LiveServer.run(configuration: NotificationsTests.configuration()) { server in
                let hook = try await NotificationsTests.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"\#(receiver.url)/sql"}}}"#)
                guard case .string(let hookID)? = hook["id"] else { return }
                try await NotificationsTests.secretRead(server, id: "t1")
                let created = try await server.request(.POST, "/api/2.0/alerts", json: Self.alert(destination: hookID, threshold: 1))
                guard case .string(let id)? = try created.json()["id"] else { Issue.record("\(created.text)"); return }
                try await AppLogsTests.eventually { receiver.received.count == 1 }
                #expect(try await server.request(.DELETE, "/api/2.0/alerts/\(id)").status == 200)
                try await AppLogsTests.eventually { receiver.received.count == 2 }
                #expect(try JSONParser.parse(receiver.received[1].body)["status"] == .string("resolved"))
                #expect(try await server.request(.GET, "/api/2.0/vigil/alert-history?rule_id=\(id)").json()["alerts"]?[0]?["state"] == .string("RESOLVED"))

                // A second admin owns an alert; deactivated, their alert stops with the reason (no one's access runs it).
                let user = try await server.request(.POST, "/api/2.0/preview/scim/v2/Users", json: #"{"userName":"ops@x.com"}"#).json()
                guard case .string(let userID)? = user["id"] else { Issue.record("\(user)"); return }
                #expect(try await server.request(.POST, "/api/2.0/groups/add-member", json: #"{"parent_name":"admins","user_name":"ops@x.com"}"#).status == 200)
                let token = try await server.request(.POST, "/api/2.0/token-management/on-behalf-of/tokens", json: #"{"user_name":"ops@x.com"}"#).json()
                guard case .string(let opsToken)? = token["token_value"] else { Issue.record("\(token)"); return }
                let owned = try await server.request(.POST, "/api/2.0/alerts", json: Self.alert(destination: nil, threshold: 100), token: .value(opsToken))
                #expect(owned.status == 200, "\(owned.text)")
                guard case .string(let ownedID)? = try owned.json()["id"] else { return }
                try await AppLogsTests.eventually { try await server.request(.GET, "/api/2.0/alerts/\(ownedID)").json()["evaluation"]?["state"] == .string("OK") }
                let deactivate = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":[{"value":"false"}]}]}"#
                #expect(try await server.request(.PATCH, "/api/2.0/preview/scim/v2/Users/\(userID)", json: deactivate).status == 200)
                try await AppLogsTests.eventually { try await server.request(.GET, "/api/2.0/alerts/\(ownedID)").json()["evaluation"]?["state"] == .string("ERROR") }
                let stopped = try await server.request(.GET, "/api/2.0/alerts/\(ownedID)").json()
                #expect(stopped["vigil_last_error"] == .string("the alert's owner ops@x.com is deactivated"), "\(stopped)")
            }
        }
    }

    @Test("a query that fails puts the alert in ERROR with the reason; refusals: no SQL access, unknown destination, someone else's alert")
    func errorsAndRefusals() async throws {
        try await LiveServer.run(configuration: NotificationsTests.configuration()) { server in
            let broken = Self.alert(destination: nil, threshold: 1, table: "system.access.nothing")
            let created = try await server.request(.POST, "/api/2.0/alerts", json: broken)
            #expect(created.status == 200, "\(created.text)")
            guard case .string(let id)? = try created.json()["id"] else { return }
            try await AppLogsTests.eventually { try await server.request(.GET, "/api/2.0/alerts/\(id)").json()["evaluation"]?["state"] == .string("ERROR") }
            let got = try await server.request(.GET, "/api/2.0/alerts/\(id)").json()
            guard case .string(let reason)? = got["vigil_last_error"] else { Issue.record("\(got)"); return }
            #expect(reason.contains("nothing"), "\(reason)")
            let unknown = try await server.request(.POST, "/api/2.0/alerts", json: Self.alert(destination: "no-such-destination", threshold: 1))
            #expect(unknown.status == 400)
            #expect(unknown.text.contains("notification destination no-such-destination does not exist"))
            let stranger = try await server.request(.POST, "/api/2.0/alerts", json: broken.replacingOccurrences(
                of: #""threshold":{"value":{"double_value":1}}}"#,
                with: #""threshold":{"value":{"double_value":1}},"notification":{"subscriptions":[{"user_email":"someone@elsewhere.example"}]}}"#))
            #expect(stranger.status == 400, "\(stranger.text)")
            #expect(stranger.text.contains("is not a user of this server"))
            let runAs = try await server.request(.POST, "/api/2.0/alerts", json: broken.replacingOccurrences(of: #""warehouse_id":"vigil","#, with: #""warehouse_id":"vigil","run_as":{"user_name":"eve@x.com"},"#))
            #expect(runAs.status == 400)
            #expect(runAs.text.contains("runs as its owner"))
            // A plain user may not run SQL, so may not make an alert, and does not see the admin's.
            let plain = try await NotificationsTests.plainUserToken(server)
            let refused = try await server.request(.POST, "/api/2.0/alerts", json: broken, token: .value(plain))
            #expect(refused.status == 403)
            #expect(refused.text.contains("needs access to run SQL"))
            #expect(try await server.request(.GET, "/api/2.0/alerts/\(id)", token: .value(plain)).status == 404)
            #expect(try await server.request(.GET, "/api/2.0/alerts", token: .value(plain)).json()["alerts"] == .array([]))
            #expect(try await server.request(.DELETE, "/api/2.0/alerts/\(id)", token: .value(plain)).status == 404)
            #expect(try await server.request(.PATCH, "/api/2.0/alerts/\(id)", json: "{}").status == 400, "update_mask is required")
            #expect(try await server.request(.DELETE, "/api/2.0/alerts/\(id)?purge=maybe").status == 400)
            #expect(try await server.request(.DELETE, "/api/2.0/alerts/\(id)?purge=true").status == 200)
            #expect(try await server.request(.GET, "/api/2.0/alerts/\(id)").status == 404)
        }
    }
}
