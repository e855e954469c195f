import ArgumentParser
import Foundation
import VigilCore

/// `vigil host-logs`: the lines hosts sent to the syslog source that are not authentication events, as
/// `GET /api/2.0/vigil/host-logs` answers them.
struct HostLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host-logs",
        abstract: "Show the newest host log lines the syslog source kept (lines that are not sshd or sudo logins).",
        discussion: """
            Lines print oldest first as '<time> <host> <app>[<pid>] <severity>: <message>' (UTC), control characters \
            escaped; --output json prints the server's answer, ndjson one line object per line. sshd and sudo logins \
            are audit events instead: 'vigil events list --service-name accounts'. Needs a token that reads the whole \
            audit log (admins, auditors).
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .customLong("hostname"), help: "Only lines whose HOSTNAME is this (--host is the server's URL).") var hostname: String?
    @Option(name: .customLong("app-name"), help: "Only lines of this APP-NAME or TAG (cron, kernel, systemd, ...).") var appName: String?
    @Option(help: "Only lines this severe or more: emerg, alert, crit, err, warning, notice, info, debug (or 0 to 7).") var severity: String?
    @Option(help: "Only lines whose message contains this (case-insensitive).") var search: String?
    @Option(name: .customLong("start-time"), help: "Lines at or after this time (RFC 3339 or epoch ms).") var startTime: String?
    @Option(name: .customLong("end-time"), help: "Lines before this time (RFC 3339 or epoch ms).") var endTime: String?
    @Option(help: "How many of the newest lines (1 to 10000).") var limit: Int = 100
    @Option(name: .shortAndLong, help: "table (syslog-like lines), json or ndjson.") var output: OutputFormat = .table

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1 to 10000") }
    }

    func run() async throws {
        let client = try VigilClient(connection)
        var query: [(String, String)] = [("limit", String(limit))]
        for (name, value) in [("host", hostname), ("app_name", appName), ("severity", severity), ("search", search),
                              ("start_time", startTime), ("end_time", endTime)] {
            if let value { query.append((name, value)) }
        }
        let answer = try await client.call(.GET, "/api/2.0/vigil/host-logs", query: query)
        guard case .array(let lines)? = answer["lines"] else { throw CLIFailure("the server's answer has no lines") }
        switch output {
        case .json: print(JSONWriter.text(of: answer))
        case .ndjson: for line in lines.reversed() { print(JSONWriter.text(of: line)) }
        case .table:
            for line in lines.reversed() { print(Self.render(line)) }
            if answer["has_more"] == .bool(true) {
                FileHandle.standardError.write(Data("(older lines matched too: raise --limit or narrow the time range)\n".utf8))
            }
        }
    }

    /// `2026-12-03T10:00:00Z web-1 cron[812] info: message`, every part escaped for the terminal.
    static func render(_ line: JSONValue) -> String {
        func text(_ key: String) -> String? { if case .string(let value)? = line[key] { value } else { nil } }
        var app = text("app_name") ?? "-"
        if let procID = text("proc_id") { app += "[\(procID)]" }
        let parts = [text("timestamp") ?? "-", text("host") ?? "-", app, (text("severity") ?? "-") + ":", text("message") ?? ""]
        return parts.map(TerminalText.escape).joined(separator: " ")
    }
}
