import Foundation

/// Level names as loggers spell them, folded to one vocabulary so a filter on `ERROR` finds Python's `error`,
/// Go's `err` and syslog's `crit` alike: TRACE, DEBUG, INFO, WARN, ERROR, FATAL. Other names are kept upper-cased.
public enum LogLevel {
    public static let names = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]

    public static func normalized(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespaces).uppercased()
        guard !trimmed.isEmpty, trimmed.count <= 32 else { return nil }
        switch trimmed {
        case "TRACE", "TRC", "FINEST", "VERBOSE": return "TRACE"
        case "DEBUG", "DBG", "FINE", "FINER": return "DEBUG"
        case "INFO", "INF", "INFORMATION", "INFORMATIONAL", "NOTICE": return "INFO"
        case "WARN", "WARNING", "WRN": return "WARN"
        case "ERROR", "ERR", "EROR", "SEVERE": return "ERROR"
        case "FATAL", "CRITICAL", "CRIT", "PANIC", "EMERG", "EMERGENCY", "ALERT": return "FATAL"
        default: return trimmed
        }
    }

    /// OpenTelemetry's severityNumber ranges (1–4 TRACE ... 21–24 FATAL); 0 and out of range have no level.
    public static func fromSeverityNumber(_ number: Int) -> String? {
        switch number {
        case 1...4: "TRACE"
        case 5...8: "DEBUG"
        case 9...12: "INFO"
        case 13...16: "WARN"
        case 17...20: "ERROR"
        case 21...24: "FATAL"
        default: nil
        }
    }
}
