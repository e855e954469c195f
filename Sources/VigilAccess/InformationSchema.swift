import GRDB
import VigilSQL
import VigilStore

/// The rows of `system.information_schema` as one caller may see them: the catalog's relations, and the
/// privileges Vigil's `audit-logs` grants amount to on them, in Unity Catalog's terms.
///
/// - A grant on `audit-logs/all` or `audit-logs/<workspace_id>` covers every stored audit system table (the SQL
///   endpoint reads them all under that permission): `CAN_VIEW` is `SELECT`, `CAN_USE` (ingest) is `MODIFY`,
///   `CAN_MANAGE` is `SELECT`, `MODIFY` (on `all`) and `MANAGE`. A workspace grant is a `SELECT` whose rows are
///   limited to that workspace; the Permissions API and the access review show the limit.
/// - Each grantee of a table also holds `USE SCHEMA` on its schema, as Unity Catalog requires for the same access.
/// - Vigil does not record who granted a permission; only members of `admins` can, so `grantor` is `admins`,
///   which also owns every table (admins can read and grant everything).
/// - Admins and account-wide readers see every grant; a workspace-limited reader sees only grants held by itself
///   or by its groups, as Databricks limits these views to what the caller may interact with.
public struct InformationSchema: ComputedTableSource {
    public let database: VigilDatabase
    public let catalog: Catalog
    public let access: Access

    public init(database: VigilDatabase, catalog: Catalog = .system, access: Access) {
        self.database = database
        self.catalog = catalog
        self.access = access
    }

    static let owner = Directory.adminsGroup
    static let systemUser = "System user"

    public func rows(of table: CatalogTable) throws(SQLError) -> [[SQLValue]] {
        do {
            switch table.storage {
            case CatalogTable.informationSchemaTables.storage: return try tables()
            case CatalogTable.tablePrivileges.storage: return try tablePrivileges().map(\.row)
            case CatalogTable.schemaPrivileges.storage: return try schemaPrivileges()
            default: throw SQLError(.tableNotFound, "table \(table.qualifiedName) has no rows source")
            }
        } catch let error as SQLError {
            throw error
        } catch {
            throw SQLError(.runtime, "cannot read the information schema: \(error)")
        }
    }

    private func tables() throws -> [[SQLValue]] {
        // The built-in groups are created on the first start: that is when the system tables came to be.
        let created = try database.pool.read { db in try Int64.fetchOne(db, sql: "SELECT min(created_time) FROM groups") }
        let createdValue = created.map(SQLValue.integer) ?? .null
        return catalog.tables.map { table in
            [.text(table.name[0]), .text(table.name[1]), .text(table.name[2]), .text(table.isComputed ? "VIEW" : "MANAGED"),
             .text("NO"), .text("PRESERVE"), .text(Self.owner), .text(table.comment), createdValue, .text(Self.systemUser),
             createdValue, .text(Self.systemUser), table.isComputed ? .null : .text("SQLITE"), .null, .null]
        }
    }

    /// One privilege held directly by a grantee on a table.
    struct TablePrivilege: Hashable {
        var grantee: String
        var table: [String]
        var privilege: String

        var row: [SQLValue] {
            [.text(InformationSchema.owner), .text(grantee), .text(table[0]), .text(table[1]), .text(table[2]),
             .text(privilege), .text("NO"), .text("NONE")]
        }
    }

    func tablePrivileges() throws -> [TablePrivilege] {
        let grants = try visibleAuditGrants()
        // Audit-log grants cover the stored audit tables; app log lines are reached through each app's own permission
        // (CAN_USE, a row filter per app), which no table privilege describes.
        let tables = catalog.tables.filter { !$0.isComputed && $0.appScopeColumn == nil }
        var seen = Set<TablePrivilege>()
        var result: [TablePrivilege] = []
        for (objectID, grant) in grants {
            for privilege in Self.privileges(level: grant.level, wholeLog: objectID == "all") {
                for table in tables {
                    let entry = TablePrivilege(grantee: grant.name, table: table.name, privilege: privilege)
                    if seen.insert(entry).inserted { result.append(entry) }
                }
            }
        }
        return result
    }

    private func schemaPrivileges() throws -> [[SQLValue]] {
        var seen = Set<[String]>()
        var rows: [[SQLValue]] = []
        for privilege in try tablePrivileges() where seen.insert([privilege.grantee, privilege.table[0], privilege.table[1]]).inserted {
            rows.append([.text(Self.owner), .text(privilege.grantee), .text(privilege.table[0]), .text(privilege.table[1]),
                         .text("USE SCHEMA"), .text("NO"), .null])
        }
        return rows
    }

    static func privileges(level: String, wholeLog: Bool) -> [String] {
        switch level {
        case "CAN_VIEW": ["SELECT"]
        case "CAN_USE": wholeLog ? ["MODIFY"] : []
        case "CAN_MANAGE": wholeLog ? ["SELECT", "MODIFY", "MANAGE"] : ["SELECT", "MANAGE"]
        default: []
        }
    }

    /// Direct grants on `audit-logs` objects the caller may see, ordered by object and grant time.
    private func visibleAuditGrants() throws -> [(objectID: String, grant: Grant)] {
        try database.pool.read { db in
            let objectIDs = try String.fetchAll(
                db, sql: "SELECT DISTINCT object_id FROM permissions WHERE object_type = ? ORDER BY object_id",
                arguments: [PermissionObjectType.auditLogs.name])
            var mine: Set<Member>?
            if !(access.isAdmin || access.auditScope == .all) {
                let groups = try MembershipGraph.load(db).groups(ofPrincipal: access.principal.id).keys
                mine = Set(groups.map(Member.group) + [.principal(access.principal.id)])
            }
            var result: [(String, Grant)] = []
            for objectID in objectIDs {
                for grant in try PermissionStore.grants(db, PermissionObjectType.auditLogs.name, objectID)
                where mine?.contains(grant.member) ?? true {
                    result.append((objectID, grant))
                }
            }
            return result
        }
    }
}
