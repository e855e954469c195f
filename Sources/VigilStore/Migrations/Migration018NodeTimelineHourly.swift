import GRDB

/// `node_timeline_hourly`, the hourly rollup of `node_timeline` (see `NodeTimelineRollup`), its insert trigger, and
/// the rollup of the rows already stored.
enum Migration018NodeTimelineHourly {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: NodeTimelineRollup.createSQL)
        try NodeTimelineRollup.rebuild(db)
    }
}
