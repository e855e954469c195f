#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import VigilCore

/// Node timeline rows not yet acknowledged by the server, oldest first: kept in memory and, with a file, on disk
/// too (rewritten whenever it changes, removed once empty), so an agent restarted while the server is down still
/// sends what it sampled. Past `maxRows` the oldest rows are dropped and counted. The server recognises a row sent
/// twice (same cluster, instance and start), so resending after a lost answer is safe.
public struct RowSpool {
    public private(set) var rows: [JSONValue] = []
    public let path: String?
    public let maxRows: Int
    public private(set) var dropped = 0

    public init(path: String?, maxRows: Int = 10_000) {
        self.path = path
        self.maxRows = maxRows
        if let path, let data = FileManager.default.contents(atPath: path) {
            rows = data.split(separator: UInt8(ascii: "\n")).compactMap { try? JSONParser.parse(Array($0)) }
            trim()
        }
    }

    public mutating func append(_ row: JSONValue) {
        rows.append(row)
        trim()
        save()
    }

    /// Forgets the oldest `count` rows (the server stored them).
    public mutating func removeFirst(_ count: Int) {
        rows.removeFirst(min(count, rows.count))
        save()
    }

    mutating func trim() {
        if rows.count > maxRows {
            dropped += rows.count - maxRows
            rows.removeFirst(rows.count - maxRows)
        }
    }

    func save() {
        guard let path else { return }
        if rows.isEmpty {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        var text = ""
        for row in rows { text += JSONWriter.text(of: row) + "\n" }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else { return }
        _ = rename(temporary, path)
    }
}
