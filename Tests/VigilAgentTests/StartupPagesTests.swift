import Foundation
import Testing
@testable import VigilAgent

/// The agent gives its start-up code pages back to the kernel: the program's code stays runnable, and what of it is
/// resident drops (benchmark (m) measures the agent's RSS itself).
@Suite struct StartupPagesTests {
    /// Resident kilobytes of this process's own executable code mapping.
    static func residentCodeKilobytes() throws -> Int {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let smaps = try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8)
        var inCode = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5 {
                inCode = fields.count >= 6 && fields[1] == "r-xp" && fields[5...].joined(separator: " ") == executable
            } else if inCode, fields.first == "Rss:", fields.count >= 2 {
                total += Int(fields[1]) ?? 0
            }
        }
        return total
    }

    @Test("releasing start-up pages lowers the resident code and the program keeps running")
    func releases() throws {
        let before = try Self.residentCodeKilobytes()
        #expect(before > 0)
        StartupPages.release()
        let after = try Self.residentCodeKilobytes()
        #expect(after < before, "\(before) kB before, \(after) kB after")
        // Code dropped from memory comes back when it runs: the sampler still works.
        #expect(CPUTicks.parse(procStat: "cpu  1 2 3 4 5 6 7 8 0 0\n") != nil)
    }
}
