import VigilCore
/// A plain-text table: columns padded to their widest cell, every cell escaped for the terminal.
struct TableRenderer {
    let headers: [String]
    private(set) var rows: [[String]] = []

    init(headers: [String]) { self.headers = headers }

    mutating func add(_ cells: [String?]) {
        rows.append(cells.map { TerminalText.escape($0 ?? "") })
    }

    func render(maxCellWidth: Int = 60) -> String {
        let clipped = rows.map { $0.map { $0.count > maxCellWidth ? String($0.prefix(maxCellWidth - 1)) + "…" : $0 } }
        var widths = headers.map(\.count)
        for row in clipped {
            for (column, cell) in row.enumerated() where column < widths.count { widths[column] = max(widths[column], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(headers)] + clipped.map(line)).joined(separator: "\n")
    }
}
