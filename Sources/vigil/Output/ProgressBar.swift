import Foundation

/// A one-line progress display on stderr, drawn only when stderr is a terminal (never in pipes or CI logs).
struct ProgressBar {
    let total: Int
    let unit: String
    let enabled: Bool = isatty(STDERR_FILENO) == 1
    private var lastDrawn = ContinuousClock.now - .seconds(1)

    init(total: Int, unit: String = "events") {
        self.total = total
        self.unit = unit
    }

    mutating func update(done: Int) {
        guard enabled, ContinuousClock.now - lastDrawn > .milliseconds(100) || done == total else { return }
        lastDrawn = ContinuousClock.now
        // Clamped: a total that a server reported, or that grew meanwhile, must not make a negative bar.
        let fraction = total > 0 ? min(1, max(0, Double(done) / Double(total))) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(Int(fraction * 100))% \(done)/\(total) \(unit)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
