import Foundation
import Logging
import Synchronization
import Testing
import VigilCore
import VigilLogHandler
import VigilLogs

@Suite("JSON line log handler")
struct JSONLineLogHandlerTests {
    /// Where a test logger's lines land.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// A logger whose lines land in `lines`.
    static func logger(_ lines: Lines, label: String = "shop") -> Logger {
        Logger(label: label) { label in
            var handler = JSONLineLogHandler(label: label, output: .lines { line in lines.append(line) })
            handler.logLevel = .trace
            return handler
        }
    }

    @Test("a line holds timestamp, level, logger, message and the metadata, as one JSON object")
    func line() throws {
        let text = JSONLineLogHandler.line(
            timestamp: Date(timeIntervalSince1970: 1_796_169_600.25), level: .warning, label: "shop", message: "slow \"query\"\n",
            metadata: ["ms": "1200", "nested": ["a": "1"], "message": "clash", "list": ["x", "y"]])
        #expect(text == #"{"timestamp":"2026-12-02T00:00:00.250Z","level":"WARN","logger":"shop","message":"slow \"query\"\n","list":["x","y"],"metadata.message":"clash","ms":"1200","nested":{"a":"1"}}"#)
        _ = try JSONParser.parse(text)
    }

    @Test("control characters and line separators are escaped, so one record is one line")
    func escaping() throws {
        let text = JSONLineLogHandler.line(timestamp: Date(timeIntervalSince1970: 0), level: .info, label: "x", message: "a\u{1B}[31m\u{2028}b\u{0}", metadata: [:])
        #expect(!text.contains("\n") && !text.contains("\u{2028}") && !text.contains("\u{1B}"))
        #expect(try JSONParser.parse(text)["message"] == .string("a\u{1B}[31m\u{2028}b\u{0}"))
    }

    @Test("swift-log levels map to the convention's names", arguments: [
        (Logger.Level.trace, "TRACE"), (.debug, "DEBUG"), (.info, "INFO"), (.notice, "INFO"), (.warning, "WARN"), (.error, "ERROR"), (.critical, "FATAL"),
    ])
    func levels(level: Logger.Level, name: String) {
        #expect(JSONLineLogHandler.levelName(level) == name)
    }

    @Test("the security events carry the fields the convention names, and Vigil reads them back as fields")
    func securityEvents() throws {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "request_id"] = "r-1"
        logger.authentication(user: "alice@example.com", outcome: .failure, method: "oauth", reason: "expired token", sourceIP: "10.0.0.7")
        logger.authorization(user: "alice@example.com", action: "read", resource: "orders/42", outcome: .denied)
        logger.dataAccess(user: "bob@example.com", catalog: "main", schema: "sales", table: "orders", operation: "SELECT", rows: 12)
        logger.securityError("invalid_token", user: "mallory", detail: "signature mismatch")
        let recorded = lines.all
        #expect(recorded.count == 4)
        let fields = try recorded.map { line -> [String: String] in
            let (level, members) = MessageFields.extract(line)
            var map = ["_level": level ?? ""]
            for member in members { map[member.key] = MessageFields.text(of: member.value) }
            return map
        }
        #expect(fields[0]["event"] == "authentication" && fields[0]["outcome"] == "failure" && fields[0]["_level"] == "WARN")
        #expect(fields[0]["user"] == "alice@example.com" && fields[0]["method"] == "oauth" && fields[0]["source_ip"] == "10.0.0.7")
        #expect(fields[0]["request_id"] == "r-1")
        #expect(fields[1]["event"] == "authorization" && fields[1]["outcome"] == "denied" && fields[1]["resource"] == "orders/42")
        #expect(fields[2]["event"] == "data_access" && fields[2]["catalog"] == "main" && fields[2]["schema"] == "sales" && fields[2]["table"] == "orders"
                && fields[2]["rows"] == "12" && fields[2]["_level"] == "INFO")
        #expect(fields[3]["event"] == "security_error" && fields[3]["error"] == "invalid_token" && fields[3]["_level"] == "ERROR")
    }

    @Test("the handler's level filters as swift-log's do")
    func levelFilter() {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger.logLevel = .warning
        logger.info("hidden")
        logger.error("shown")
        #expect(lines.all.count == 1)
    }
}
