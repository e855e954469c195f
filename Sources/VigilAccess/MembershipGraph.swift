import GRDB

/// Group membership as a graph, loaded whole: groups are few, and inheritance, cycle checks and access reviews
/// all need transitive closure with the path that grants membership.
public struct MembershipGraph: Sendable {
    /// Direct parent groups of each principal and of each group.
    var principalParents: [Int64: [Int64]] = [:]
    var groupParents: [Int64: [Int64]] = [:]
    public var groupNames: [Int64: String] = [:]

    static func load(_ db: Database) throws -> MembershipGraph {
        var graph = MembershipGraph()
        for row in try Row.fetchAll(db, sql: "SELECT id, display_name FROM groups") {
            graph.groupNames[row["id"]] = row["display_name"]
        }
        for row in try Row.fetchAll(db, sql: "SELECT group_id, principal_id, member_group_id FROM group_members") {
            let group: Int64 = row["group_id"]
            if let principal: Int64 = row["principal_id"] { graph.principalParents[principal, default: []].append(group) }
            if let member: Int64 = row["member_group_id"] { graph.groupParents[member, default: []].append(group) }
        }
        return graph
    }

    /// Every group `principal` belongs to, directly or through nesting, with the shortest path of group ids
    /// from the direct group to that group.
    public func groups(ofPrincipal principal: Int64) -> [Int64: [Int64]] {
        var paths: [Int64: [Int64]] = [:]
        var queue: [(Int64, [Int64])] = (principalParents[principal] ?? []).map { ($0, [$0]) }
        while !queue.isEmpty {
            let (group, path) = queue.removeFirst()
            if paths[group] != nil { continue }
            paths[group] = path
            for parent in groupParents[group] ?? [] where paths[parent] == nil { queue.append((parent, path + [parent])) }
        }
        return paths
    }

    /// Every group that contains `group`, transitively.
    func ancestors(ofGroup group: Int64) -> Set<Int64> {
        var seen: Set<Int64> = []
        var stack = groupParents[group] ?? []
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack += groupParents[next] ?? [] }
        }
        return seen
    }
}
