import VigilNotify

/// How alerts reach people: the SMTP relay for email destinations, the destinations each level goes to when a rule
/// names none, and the outbox's retry schedule.
public struct NotificationSettings: Sendable {
    public var smtp: SMTPSettings?
    public var routing = NotificationRouting()
    public var service = NotificationService.Configuration()
    /// How long one attempt may take; a receiver that is down is retried by the HTTP client until then.
    public var deliveryTimeout: Duration = .seconds(10)
    /// The shortest metric alarm period (CloudWatch's 10 s; tests use 1).
    public var minimumAlarmPeriodSeconds = 10

    public init() {}
}
