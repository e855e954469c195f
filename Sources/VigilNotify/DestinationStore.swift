import Foundation
import GRDB
import VigilCore
import VigilStore

/// Notification destinations in `notification_destinations` (migration 010).
public struct DestinationStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock

    public static let maxDisplayNameBytes = 256

    public init(database: VigilDatabase, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    public static func notFound(_ id: String) -> VigilError {
        VigilError(.notFound, "notification destination \(id.prefix(128)) does not exist")
    }

    public static func validName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw VigilError(.invalidParameter, "display_name is required and cannot be blank") }
        guard trimmed.utf8.count <= maxDisplayNameBytes else {
            throw VigilError(.invalidParameter, "display_name is longer than \(maxDisplayNameBytes) bytes")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw VigilError(.invalidParameter, "display_name cannot hold control characters")
        }
        return trimmed
    }

    public func create(displayName: String, config: DestinationConfig, by userName: String) async throws -> Destination {
        let now = clock.nowMillis()
        let destination = Destination(id: UUID().uuidString.lowercased(), displayName: displayName, config: config, createdBy: userName,
                                      createdMillis: now, updatedBy: userName, updatedMillis: now)
        try await database.pool.write { db in
            try Self.refuseTakenName(db, displayName, except: nil)
            try db.execute(sql: """
                INSERT INTO notification_destinations(id, display_name, destination_type, config, created_by, created_time, updated_by, updated_time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [destination.id, displayName, config.type.rawValue, JSONWriter.text(of: config.storedJSON), userName, now, userName, now])
        }
        return destination
    }

    /// Changes the name and/or the config; `config` receives the stored one and answers the new one, inside the
    /// write (a PATCH merges into what is kept).
    public func update(id: String, displayName: String?, by userName: String,
                       config: (@Sendable (DestinationConfig) throws -> DestinationConfig)?) async throws -> Destination {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            guard var destination = try Self.destination(db, id: id) else { throw Self.notFound(id) }
            if let displayName {
                try Self.refuseTakenName(db, displayName, except: id)
                destination.displayName = displayName
            }
            if let config { destination.config = try config(destination.config) }
            destination.updatedBy = userName
            destination.updatedMillis = now
            try db.execute(sql: "UPDATE notification_destinations SET display_name = ?, config = ?, updated_by = ?, updated_time = ? WHERE id = ?",
                           arguments: [destination.displayName, JSONWriter.text(of: destination.config.storedJSON), userName, now, id])
            return destination
        }
    }

    public func delete(id: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM notification_destinations WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw Self.notFound(id) }
        }
    }

    public func destination(id: String) async throws -> Destination? {
        try await database.pool.read { db in try Self.destination(db, id: id) }
    }

    /// A page in name order; `after` is the last name of the previous page.
    public func list(after: String?, limit: Int) async throws -> [Destination] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM notification_destinations WHERE display_name > ? ORDER BY display_name LIMIT ?",
                             arguments: [after ?? "", limit]).compactMap(Self.decode)
        }
    }

    /// The destinations `references` name, by id or by display name; the references that name none.
    public static func resolve(_ db: Database, _ references: [String]) throws -> (found: [Destination], missing: [String]) {
        var found: [Destination] = []
        var missing: [String] = []
        for reference in references {
            if reference.hasPrefix("email:") {
                if let destination = try lookup(db, id: reference) {
                    if !found.contains(where: { $0.id == destination.id }) { found.append(destination) }
                } else {
                    missing.append(reference)
                }
                continue
            }
            let row = try Row.fetchOne(db, sql: "SELECT * FROM notification_destinations WHERE id = ? OR display_name = ? ORDER BY id = ? DESC LIMIT 1",
                                       arguments: [reference, reference, reference])
            if let destination = row.flatMap(decode) {
                if !found.contains(where: { $0.id == destination.id }) { found.append(destination) }
            } else {
                missing.append(reference)
            }
        }
        return (found, missing)
    }

    /// A destination by id; `email:<address>` (a SQL alert's `user_email` subscription) is an email destination of
    /// its own, needing no row.
    public static func lookup(_ db: Database, id: String) throws -> Destination? {
        if id.hasPrefix("email:") {
            let address = String(id.dropFirst("email:".count))
            guard EmailAddress.isValid(address) else { return nil }
            return Destination(id: id, displayName: address, config: .email(addresses: [address]), createdBy: "", createdMillis: 0, updatedBy: "", updatedMillis: 0)
        }
        return try destination(db, id: id)
    }

    static func refuseTakenName(_ db: Database, _ name: String, except id: String?) throws {
        if try Row.fetchOne(db, sql: "SELECT 1 FROM notification_destinations WHERE display_name = ? AND id != ?", arguments: [name, id ?? ""]) != nil {
            throw VigilError(.resourceAlreadyExists, "a notification destination named '\(name.prefix(128))' already exists")
        }
    }

    static func destination(_ db: Database, id: String) throws -> Destination? {
        try Row.fetchOne(db, sql: "SELECT * FROM notification_destinations WHERE id = ?", arguments: [id]).flatMap(decode)
    }

    static func decode(_ row: Row) -> Destination? {
        guard let parsed = try? JSONParser.parse(row["config"] as String), let config = try? DestinationConfig.decode(parsed) else { return nil }
        return Destination(id: row["id"], displayName: row["display_name"], config: config, createdBy: row["created_by"],
                           createdMillis: row["created_time"], updatedBy: row["updated_by"], updatedMillis: row["updated_time"])
    }
}
