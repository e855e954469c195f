import Foundation
import GRDB
import VigilCore

/// The app registry (migration 006). Each change is one transaction: an app is created together with its
/// creator's CAN_MANAGE grant, and deleted together with every grant on it.
public struct AppStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock

    /// The permissions object type of apps (`/api/2.0/permissions/apps/{name}`).
    public static let objectType = "apps"

    public init(database: VigilDatabase, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    /// Creates the app and grants `creator` CAN_MANAGE on it; a taken name is `resource_already_exists`.
    public func create(_ spec: AppSpec, creator: Principal) async throws -> AppRecord {
        let now = clock.nowMillis()
        let uid = UUID().uuidString.lowercased()
        return try await database.pool.write { db in
            if try Self.fetch(db, name: spec.name) != nil {
                throw VigilError(.resourceAlreadyExists, "An app with the name \(spec.name) already exists; choose another name or update that app")
            }
            try db.execute(sql: """
                INSERT INTO apps(uid, name, description, user_api_scopes, resources, settings, creator, updater, create_time, update_time, compute_state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [uid, spec.name, spec.description, Self.scopesText(spec.userAPIScopes), spec.resources.map(JSONWriter.text(of:)),
                                 Self.settingsText(spec.settings), creator.userName, creator.userName, now, now,
                                 AppRecord.ComputeState.active.rawValue])
            // Grants left on the name (a grant written while an app of that name was being deleted) do not carry over.
            try db.execute(sql: "DELETE FROM permissions WHERE object_type = ? AND object_id = ?", arguments: [Self.objectType, spec.name])
            try db.execute(sql: """
                INSERT INTO permissions(object_type, object_id, principal_id, group_id, permission_level, granted_time)
                VALUES (?, ?, ?, NULL, 'CAN_MANAGE', ?)
                """, arguments: [Self.objectType, spec.name, creator.id, now])
            guard let record = try Self.fetch(db, name: spec.name) else { throw VigilError(.internal, "the new app was not stored") }
            return record
        }
    }

    public func get(_ name: String) async throws -> AppRecord? {
        try await database.pool.read { db in try Self.fetch(db, name: name) }
    }

    /// Every app, by name.
    public func all() async throws -> [AppRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM apps ORDER BY name").map(Self.record)
        }
    }

    /// Apps by name after `name` (exclusive), at most `limit`, keeping only those `include` admits.
    public func page(after name: String?, limit: Int, include: @Sendable (AppRecord) -> Bool) async throws -> (apps: [AppRecord], more: Bool) {
        try await database.pool.read { db in
            var found: [AppRecord] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM apps WHERE name > ? ORDER BY name", arguments: [name ?? ""])
            while let row = try cursor.next() {
                let record = Self.record(row)
                guard include(record) else { continue }
                if found.count == limit { return (found, true) }
                found.append(record)
            }
            return (found, false)
        }
    }

    /// A full replacement of the writable fields (the API's PATCH), by `updater`.
    public func update(_ name: String, to spec: AppSpec, updater: Principal) async throws -> AppRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            try db.execute(sql: """
                UPDATE apps SET description = ?, user_api_scopes = ?, resources = ?, settings = ?, updater = ?, update_time = ?
                WHERE name = ?
                """, arguments: [spec.description, Self.scopesText(spec.userAPIScopes), spec.resources.map(JSONWriter.text(of:)),
                                 Self.settingsText(spec.settings), updater.userName, now, name])
            guard let record = try Self.fetch(db, name: name) else { throw Self.notFound(name) }
            return record
        }
    }

    /// Records a start or stop.
    public func setComputeState(_ name: String, _ state: AppRecord.ComputeState, by principal: Principal) async throws -> AppRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            try db.execute(sql: "UPDATE apps SET compute_state = ?, updater = ?, update_time = ? WHERE name = ?",
                           arguments: [state.rawValue, principal.userName, now, name])
            guard let record = try Self.fetch(db, name: name) else { throw Self.notFound(name) }
            return record
        }
    }

    /// Deletes the app and every grant on it; returns it as it was.
    public func delete(_ name: String) async throws -> AppRecord {
        try await database.pool.write { db in
            guard let record = try Self.fetch(db, name: name) else { throw Self.notFound(name) }
            try db.execute(sql: "DELETE FROM apps WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM permissions WHERE object_type = ? AND object_id = ?", arguments: [Self.objectType, name])
            return record
        }
    }

    /// Sets (or, with nil, clears) an app's own log retention.
    public func setLogRetention(_ name: String, millis: Int64?, by principal: Principal) async throws -> AppRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            try db.execute(sql: "UPDATE apps SET log_retention_millis = ?, updater = ?, update_time = ? WHERE name = ?",
                           arguments: [millis, principal.userName, now, name])
            guard let record = try Self.fetch(db, name: name) else { throw Self.notFound(name) }
            return record
        }
    }

    /// Each existing app's key and its own log retention (nil: the server's default). Lines of any other key belong
    /// to a deleted app.
    public func retentions() async throws -> [Int64: Int64?] {
        try await database.pool.read { db in
            var result: [Int64: Int64?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, log_retention_millis FROM apps") {
                result[row["id"]] = .some(row["log_retention_millis"])
            }
            return result
        }
    }

    /// The keys of the apps that exist now (log lines of any other key belong to a deleted app).
    public func keys() async throws -> [String: Int64] {
        try await database.pool.read { db in
            var keys: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, id FROM apps") { keys[row["name"]] = row["id"] }
            return keys
        }
    }

    public static func notFound(_ name: String) -> VigilError {
        VigilError(.notFound, "App with name \(name.prefix(64)) does not exist.")
    }

    static func fetch(_ db: Database, name: String) throws -> AppRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM apps WHERE name = ?", arguments: [name]).map(record)
    }

    static func record(_ row: Row) -> AppRecord {
        func json(_ column: String) -> JSONValue? {
            guard let text: String = row[column] else { return nil }
            return try? JSONParser.parse(text)
        }
        var scopes: [String]?
        if case .array(let items)? = json("user_api_scopes") {
            scopes = items.compactMap { if case .string(let scope) = $0 { scope } else { nil } }
        }
        var settings: [JSONMember] = []
        if case .object(let members)? = json("settings") { settings = members }
        let spec = AppSpec(name: row["name"], description: row["description"], userAPIScopes: scopes, resources: json("resources"),
                           settings: settings)
        return AppRecord(
            key: row["id"], id: row["uid"], spec: spec, creator: row["creator"], updater: row["updater"],
            createMillis: row["create_time"], updateMillis: row["update_time"],
            computeState: AppRecord.ComputeState(rawValue: row["compute_state"]) ?? .stopped,
            logRetentionMillis: row["log_retention_millis"])
    }

    static func scopesText(_ scopes: [String]?) -> String? {
        scopes.map { JSONWriter.text(of: .array($0.map(JSONValue.string))) }
    }

    static func settingsText(_ settings: [JSONMember]) -> String? {
        settings.isEmpty ? nil : JSONWriter.text(of: .object(settings))
    }
}
