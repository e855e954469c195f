import Foundation
import VigilAccess
import VigilCore
import VigilSQL
import VigilStore
import Logging
import ServiceLifecycle

/// The golden data set beyond the audit log: `system.compute.node_timeline` rows (node_timeline.ndjson, written by
/// scripts/make-sql-golden-nodes.py) and the identities and grants behind `system.information_schema`, whose rows
/// as Vigil must compute them are in information_schema.<table>.ndjson (Spark reads those same files).
extension SQLGolden {
    /// The node timeline rows, decoded as ingest decodes them.
    public static func nodeTimelineRows() throws -> [NodeTimelineRow] {
        let bytes = Array(try Data(contentsOf: folder.appendingPathComponent("node_timeline.ndjson")))
        var problems: [ValidationProblem] = []
        let decoder = NodeTimelineDecoder()
        let (rows, _) = IngestBody.decode(bytes, contentType: "application/x-ndjson", limits: decoder.limits, item: "row", problems: &problems) {
            decoder.decode($0, index: $1, nowMillis: now, problems: &$2)
        }
        guard problems.isEmpty else {
            throw VigilError(.validationFailed, "node_timeline.ndjson does not decode: \(problems.map(\.description))")
        }
        return rows
    }

    /// The service principal of the access fixture.
    public static let servicePrincipalID = "6f1c9a52-0000-4000-8000-000000000001"

    /// Creates the fixture's identities and grants at the golden clock and returns the admin's view of the
    /// information schema:
    /// - users alice, bob, carol; service principal etl-bot; groups auditors (carol), analysts (bob), and security
    ///   (holding group auditors);
    /// - `audit-logs/1001`: analysts and bob CAN_VIEW; `audit-logs/1002`: security CAN_MANAGE;
    ///   `audit-logs/all`: auditors CAN_VIEW, etl-bot CAN_USE, alice CAN_MANAGE.
    public static func setUpAccess(_ database: VigilDatabase) async throws -> any ComputedTableSource {
        let clock = FixedWallClock(millis: now)
        let (admin, _) = try await PrincipalStore(database: database, clock: clock).ensureAdmin()
        let directory = Directory(database: database, clock: clock)
        try await directory.bootstrap(admin: admin)
        var users: [String: Int64] = [:]
        for name in ["alice@x.com", "bob@x.com", "carol@x.com"] {
            users[name] = try await directory.createUser(userName: name, displayName: nil, active: true, externalID: nil).id
        }
        let bot = try await directory.createServicePrincipal(applicationID: servicePrincipalID, displayName: "etl-bot", active: true, externalID: nil)
        let auditors = try await directory.createGroup(displayName: "auditors", externalID: nil).id
        let analysts = try await directory.createGroup(displayName: "analysts", externalID: nil).id
        let security = try await directory.createGroup(displayName: "security", externalID: nil).id
        try await directory.addMember(.principal(users["carol@x.com"]!), to: auditors)
        try await directory.addMember(.principal(users["bob@x.com"]!), to: analysts)
        try await directory.addMember(.group(auditors), to: security)
        let permissions = PermissionStore(database: database, clock: clock)
        let audit = PermissionObjectType.auditLogs.name
        try await permissions.update(on: audit, "1001", with: [(.group(analysts), "CAN_VIEW"), (.principal(users["bob@x.com"]!), "CAN_VIEW")])
        try await permissions.update(on: audit, "1002", with: [(.group(security), "CAN_MANAGE")])
        try await permissions.update(
            on: audit, "all",
            with: [(.group(auditors), "CAN_VIEW"), (.principal(bot.id), "CAN_USE"), (.principal(users["alice@x.com"]!), "CAN_MANAGE")])
        return InformationSchema(database: database, access: .administrator(admin))
    }

    /// The rows of `information_schema.<table>` Vigil must compute for the fixture, as Statement-API strings in
    /// the table's column order.
    public static func informationSchemaRows(_ table: CatalogTable) throws -> [[String?]] {
        let name = "information_schema.\(table.name[2]).ndjson"
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let value = try JSONParser.parse(String(line))
            return table.columns.map { column in
                if case .string(let text)? = value[column.name] { text } else { nil }
            }
        }
    }
}

extension SQLGolden {
    /// A database in `folder` holding the whole golden data set (audit events, node timeline, the access
    /// fixture), and the admin's view of its information schema: what the golden tests and the SQL fuzzer run on.
    public static func database(in folder: TemporaryDirectory) async throws -> (VigilDatabase, any ComputedTableSource) {
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let sequencer = Sequencer(database: database)
        let group = ServiceGroup(configuration: .init(services: [sequencer], logger: Logger(label: "vigil.golden")))
        let events = try events().map { PreparedEvent($0, receivedMillis: now) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = try await sequencer.submit(events)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        _ = try await NodeTimelineStore(database: database).insert(try nodeTimelineRows(), receivedMillis: now)
        return (database, try await setUpAccess(database))
    }
}
