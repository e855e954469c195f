import VigilAlerts
import VigilCore

/// A firing as an audit event, `vigil`/`alertTriggered` (`alertSilenced` when a silence kept it quiet, and its end,
/// `alertResolved`; an acknowledgement is the `acknowledgeAlert` request's own event), so that who was alerted about
/// what is itself on the ledger and queryable with SQL next to the events that caused it.
enum DetectionAudit {
    static func record(_ alert: AlertRecord) -> SelfAuditRecorder.Record {
        var record = triggered(alert)
        switch alert.state {
        case "RESOLVED":
            record.action = "alertResolved"
            record.requestParams.append(("resolved_time", Timestamp.formatRFC3339(millis: alert.resolvedMillis ?? 0)))
        case "SILENCED":
            record.action = "alertSilenced"
            record.requestParams.append(("silence_id", alert.silencedBy ?? ""))
        default:
            break
        }
        return record
    }

    static func triggered(_ alert: AlertRecord) -> SelfAuditRecorder.Record {
        // A SQL alert's value was computed with its owner's access: it is not written where other readers see it.
        let shown = alert.kind == "sql_alert" ? [] : alert.group
        let group = JSONWriter.text(of: .object(shown.map { JSONMember($0.field, $0.value.map(JSONValue.string) ?? .null) }))
        return SelfAuditRecorder.Record(
            service: "vigil", action: "alertTriggered", userName: nil, sourceIP: nil, userAgent: nil, requestID: RandomID.hex(),
            statusCode: 200, errorMessage: nil,
            requestParams: [
                ("alert_id", String(alert.alertID)), ("rule_id", alert.ruleID), ("rule_title", alert.title), ("level", alert.level),
                ("type", alert.kind), ("count", String(alert.count)), ("group", group),
                ("event_ids", JSONWriter.text(of: .array(alert.eventIDs.prefix(20).map(JSONValue.string)))),
            ])
    }
}
