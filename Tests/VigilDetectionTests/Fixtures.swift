import VigilCore
@testable import VigilDetection

/// Audit events shaped like the ones attacks leave, built in one line each.
enum Fixtures {
    static func event(
        _ service: String = "accounts", _ action: String = "login", at seconds: Int64 = 0, email: String? = "eve@x.com",
        ip: String? = "203.0.113.7", status: Int32? = 200, params: [(String, String)] = [], id: String? = nil
    ) -> AuditEvent {
        AuditEvent(
            eventTimeMillis: 1_700_000_000_000 + seconds * 1000, sourceIPAddress: ip, userIdentity: email.map { UserIdentity(email: $0) },
            serviceName: service, actionName: action, requestParams: params.map { (key: $0.0, value: $0.1) },
            response: status.map { EventResponse(statusCode: $0) }, eventID: id ?? "\(service)-\(action)-\(seconds)-\(email ?? "")-\(ip ?? "")")
    }

    static func rules(_ yaml: String, origin: String = "test.yml") throws -> RuleSet {
        let parsed = try SigmaParser.parse(yaml)
        return try RuleSet(parsed.enumerated().map { LoadedRule(id: $0.element.id ?? $0.element.name ?? "rule-\($0.offset + 1)", rule: $0.element, origin: origin) })
    }

    static func problems(_ yaml: String) -> [SigmaProblem] {
        do {
            _ = try rules(yaml)
            return []
        } catch let failure as SigmaParseFailure {
            return failure.problems
        } catch {
            return [SigmaProblem(line: nil, field: "?", "\(error)")]
        }
    }

    static func run(_ yaml: String, _ events: [AuditEvent]) throws -> [DetectionHit] {
        var evaluator = DetectionEvaluator(rules: try rules(yaml))
        return events.flatMap { evaluator.evaluate($0) }
    }
}
