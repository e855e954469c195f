import ArgumentParser
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOSSL
import NIOWebSocket
import Synchronization
import VigilAgent
import VigilCore

/// `vigil apps logs NAME`: an app's logs as `databricks apps logs` shows them, over the same WebSocket protocol
/// (`/apps/NAME/logz/stream`): `2026-01-01T00:00:00Z [APP] message` lines, or NDJSON with `--output json`.
struct AppsLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show an app's newest log lines, and with --follow every new one as it arrives.",
        discussion: """
            Lines are shown as '<time> [<source>] <message>' (UTC, to the second), control characters escaped; \
            --output json prints each as the stream sends it: {"source","timestamp","message"}. \
            Exit status: 0, or 1 when the stream is refused (unauthenticated, no CAN_USE on the app, unknown app).
            """)

    enum Output: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The app's name.") var name: String
    @Option(name: .customLong("tail-lines"), help: "How many of the newest lines to show first (0 to 10000).") var tailLines = 200
    @Flag(name: .shortAndLong, help: "Keep following new lines until interrupted.") var follow = false
    @Option(help: "Only lines whose message contains this (case-insensitive).") var search: String?
    @Option(help: "Only lines of this source: APP or SYSTEM.") var source: String?
    @Option(name: .shortAndLong, help: "text or json.") var output: Output = .text

    func validate() throws {
        if let problem = AppName.problem(name) { throw ValidationError(problem) }
        guard (0...10_000).contains(tailLines) else { throw ValidationError("--tail-lines must be 0 to 10000") }
        if let source, !["APP", "SYSTEM"].contains(source.uppercased()) { throw ValidationError("--source must be APP or SYSTEM") }
    }

    func run() async throws {
        let (baseURL, token) = try connection.resolve()
        let socketBase = (baseURL.hasPrefix("https://") ? "wss://" + baseURL.dropFirst(8) : "ws://" + baseURL.dropFirst(7)) + "/apps/\(name)/logz/stream"
        // The WebSocket client sends its own Origin (ws://host), which the server takes as a non-browser client's.
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .userAgent: "vigil-cli apps logs"]
        let tls = try VigilClient.tlsConfiguration(trusting: connection.caCertificate)
        let printed = Printed()
        var backoff: Duration = .seconds(1)
        while true {
            // After a reconnect, the backlog is read again from far enough back, and what was printed is skipped.
            let lines = printed.isEmpty ? tailLines : 10_000
            var query = "tail_lines=\(lines)"
            if let source { query += "&source=" + source.uppercased() }
            let close: WebSocketCloseFrame?
            do {
                close = try await stream(url: socketBase + "?" + query, headers: headers, tls: tls, printed: printed)
            } catch {
                guard follow else { throw CLIFailure(ConnectionFailure.describe(error, baseURL: baseURL)) }
                Self.note("the log stream is unreachable (\(ConnectionFailure.describe(error, baseURL: baseURL))); retrying in \(backoff)")
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(10))
                continue
            }
            if let close, case .unknown(let code) = close.closeCode {
                let reason = TerminalText.escape(close.reason ?? "")
                switch code {
                case 4401: throw CLIFailure("the log stream refused the credentials (4401): \(reason)")
                case 4403: throw CLIFailure("the log stream is not allowed (4403): \(reason)")
                case 4404: throw CLIFailure("app \(name) does not exist (4404)")
                default: throw CLIFailure("the log stream closed with code \(code): \(reason)")
                }
            }
            guard follow else { return }
            if close?.reason == "the app was deleted" { throw CLIFailure("app \(name) was deleted") }
            Self.note("the log stream closed; reconnecting")
            backoff = .seconds(1)
            try await Task.sleep(for: backoff)
        }
    }

    /// What was printed, so that after a reconnect the backlog the server sends again prints only what is new: the
    /// newest timestamp printed and how many times each frame was printed at it. Only that replay is filtered (up to
    /// its NUL frame); live lines all print, repeats and late timestamps included.
    final class Printed: Sendable {
        private struct State {
            var last: Double = -.infinity
            var atLast: [String: Int] = [:]
            var printedAny = false
            var replaying = false
            var replayedAtLast: [String: Int] = [:]
        }

        private let state = Mutex(State())

        var isEmpty: Bool { !state.withLock { $0.printedAny } }

        /// A new connection starts: its backlog is a replay if anything was printed before.
        func connected() {
            state.withLock { state in
                state.replaying = state.printedAny
                state.replayedAtLast = [:]
            }
        }

        /// The backlog ended (the first NUL frame).
        func backlogEnded() { state.withLock { $0.replaying = false } }

        /// Whether to print `frame` (at `timestamp`); records it.
        func admit(_ frame: String, timestamp: Double?) -> Bool {
            state.withLock { state in
                if state.replaying, let timestamp {
                    if timestamp < state.last { return false }
                    if timestamp == state.last {
                        let seen = state.replayedAtLast[frame, default: 0] + 1
                        state.replayedAtLast[frame] = seen
                        if seen <= state.atLast[frame, default: 0] { return false }
                    }
                }
                state.printedAny = true
                if let timestamp {
                    if timestamp > state.last {
                        state.last = timestamp
                        state.atLast = [:]
                    }
                    if timestamp == state.last { state.atLast[frame, default: 0] += 1 }
                }
                return true
            }
        }
    }

    func stream(url: String, headers: HTTPFields, tls: TLSConfiguration?, printed: Printed) async throws -> WebSocketCloseFrame? {
        var logger = Logger(label: "vigil.apps.logs")
        logger.logLevel = .critical
        let follow = follow
        let output = output
        let search = search ?? ""
        return try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), tlsConfiguration: tls, logger: logger
        ) { inbound, outbound, _ in
            printed.connected()
            try await outbound.write(.text(search))
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                if text == "\u{0}" {
                    printed.backlogEnded()
                    // The first keep-alive follows the backlog: without --follow, that is all.
                    if !follow {
                        try await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                    continue
                }
                guard printed.admit(text, timestamp: Self.timestamp(text)) else { continue }
                print(Self.render(text, output: output))
                fflush(nil)
            }
        }
    }

    static func timestamp(_ frame: String) -> Double? {
        if case .number(let text)? = (try? JSONParser.parse(frame))?["timestamp"] { Double(text) } else { nil }
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("vigil: \(text)\n".utf8))
    }

    /// One frame as a line: `<RFC 3339 to the second> [<SOURCE>] <message>` (trailing newlines trimmed, control
    /// characters escaped), or the frame itself as JSON.
    static func render(_ frame: String, output: Output) -> String {
        guard let value = try? JSONParser.parse(frame), case .string(let message)? = value["message"] else {
            return TerminalText.escape(frame)
        }
        let source: String = if case .string(let text)? = value["source"] { text.uppercased() } else { "" }
        var seconds: Double?
        if case .number(let text)? = value["timestamp"] { seconds = Double(text) }
        if output == .json {
            var members = [JSONMember("source", .string(source)), JSONMember("timestamp", value["timestamp"] ?? .null), JSONMember("message", .string(message))]
            if let level = value["level"] { members.append(JSONMember("level", level)) }
            return JSONWriter.text(of: .object(members))
        }
        let time = seconds.flatMap { $0 > 0 ? Timestamp.formatRFC3339(millis: Int64($0.rounded(.down)) * 1000) : nil }
            .map { $0.replacingOccurrences(of: ".000Z", with: "Z") } ?? "----------"
        var trimmed = Substring(message)
        while let last = trimmed.last, last == "\n" || last == "\r" || last == "\r\n" { trimmed = trimmed.dropLast() }
        return "\(time) [\(TerminalText.escape(source))] \(TerminalText.escape(String(trimmed)))"
    }
}
