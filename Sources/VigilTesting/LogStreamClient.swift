import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization

/// A client of `/apps/{name}/logz/stream` speaking the Databricks Apps protocol, for tests: it sends the search term
/// as its first text frame, keeps every text frame it receives, runs `afterBacklog` once the first NUL frame (the end
/// of the backlog) arrives, and stops when `until` holds (or the server closes).
public enum LogStreamClient {
    public struct Session: Sendable {
        /// Text frames in order ("\u{0}" for keep-alives).
        public var frames: [String]
        /// The server's close code, when it closed the stream.
        public var closeCode: UInt16?
        public var closeReason: String?

        /// Frames that are lines (not keep-alives), parsed.
        public var lines: [(source: String, timestamp: Double, message: String)] {
            frames.compactMap { frame in
                guard frame != "\u{0}", let data = frame.data(using: .utf8),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let source = object["source"] as? String, let timestamp = object["timestamp"] as? Double,
                      let message = object["message"] as? String
                else { return nil }
                return (source, timestamp, message)
            }
        }
    }

    final class Collected: Sendable {
        let frames = Mutex<[String]>([])
    }

    public static func run(
        _ url: String, headers: HTTPFields = [:], search: String? = "", timeout: Duration = .seconds(60),
        afterBacklog: @escaping @Sendable () async throws -> Void = {},
        until: @escaping @Sendable ([String]) -> Bool = { $0.contains("\u{0}") }
    ) async throws -> Session {
        let collected = Collected()
        let logger: Logger = {
            var logger = Logger(label: "vigil.test.ws")
            logger.logLevel = .critical
            return logger
        }()
        let close: WebSocketCloseFrame? = try await withThrowingTaskGroup(of: WebSocketCloseFrame?.self) { group in
            group.addTask {
                try await WebSocketClient.connect(
                    url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), logger: logger
                ) { inbound, outbound, _ in
                    if let search { try await outbound.write(.text(search)) }
                    var backlogDone = false
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        let frames = collected.frames.withLock { frames in
                            frames.append(text)
                            return frames
                        }
                        if text == "\u{0}", !backlogDone {
                            backlogDone = true
                            try await afterBacklog()
                        }
                        if until(frames) {
                            try await outbound.close(.normalClosure, reason: nil)
                            return
                        }
                    }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw CocoaError(.executableLoad, userInfo: [
                    NSLocalizedDescriptionKey: "log stream timed out; frames so far: \(collected.frames.withLock { $0.suffix(5) })",
                ])
            }
            let result = try await group.next() ?? nil
            group.cancelAll()
            return result
        }
        var code: UInt16?
        if let close {
            switch close.closeCode {
            case .unknown(let number): code = number
            case .normalClosure: code = 1000
            case .goingAway: code = 1001
            case .policyViolation: code = 1008
            default: code = nil
            }
        }
        return Session(frames: collected.frames.withLock { $0 }, closeCode: code, closeReason: close?.reason)
    }
}
