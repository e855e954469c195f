import AsyncHTTPClient
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import VigilCore

/// Sends the queue's batches to `POST /api/2.0/vigil/apps/{app}/logs`, oldest first, one at a time, each with its
/// key as `Idempotency-Key`. A batch waits at most `batchDelay` for more lines to join it. When the server is
/// unreachable or busy the same batch is retried (backing off up to `maxBackoff`, or after `Retry-After` on 429)
/// while the queue keeps taking lines, so the child never waits for the server.
public final class LogShipper: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var shippedLines: Int
        /// Lines the server refused for good (400: it never should).
        public var refusedLines: Int
    }

    /// A problem to report to the user once (a wrong token, a missing app): the shipper keeps retrying.
    public enum Trouble: Sendable, Equatable {
        case unreachable(String)
        case refused(status: Int, message: String)
    }

    let client: HTTPClient
    let url: String
    let token: Secret
    public let queue: ShipQueue
    let batchDelay: Duration
    let maxBackoff: Duration
    let clock: any WallClock
    let report: @Sendable (Trouble) -> Void
    private let wake = WakeSignal()
    private let shipped = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public convenience init(client: HTTPClient, baseURL: String, token: Secret, app: String, queue: ShipQueue, batchDelay: Duration = .milliseconds(200),
                            maxBackoff: Duration = .seconds(5), clock: any WallClock = SystemWallClock(),
                            report: @escaping @Sendable (Trouble) -> Void = { _ in }) {
        let encoded = URIEncoding.encode(app, slash: true)
        self.init(client: client, url: baseURL + "/api/2.0/vigil/apps/\(encoded)/logs", token: token, queue: queue, batchDelay: batchDelay,
                  maxBackoff: maxBackoff, clock: clock, report: report)
    }

    /// Ships to `url` instead of an app's logs (a job run's output: `/api/2.0/vigil/jobs/runs/{run_id}/output`).
    public init(client: HTTPClient, url: String, token: Secret, queue: ShipQueue, batchDelay: Duration = .milliseconds(200),
                maxBackoff: Duration = .seconds(5), clock: any WallClock = SystemWallClock(), report: @escaping @Sendable (Trouble) -> Void = { _ in }) {
        self.client = client
        self.url = url
        self.token = token
        self.queue = queue
        self.batchDelay = batchDelay
        self.maxBackoff = maxBackoff
        self.clock = clock
        self.report = report
    }

    /// Tells the shipper lines arrived.
    public func notify() { wake.signal() }

    public var shippedLines: Int { shipped.load(ordering: .relaxed) }

    /// Ships until `inputEnded()` is true and the queue is empty, or until `deadline` once the input has ended.
    /// Returns what was shipped; lines still queued are the caller's to spill.
    public func run(inputEnded: @escaping @Sendable () -> Bool, deadline: @escaping @Sendable () -> ContinuousClock.Instant?) async -> Outcome {
        var failures = 0
        var lastTrouble: Trouble?
        while true {
            if let deadline = deadline(), ContinuousClock.now >= deadline { break }
            if queue.isEmpty {
                if inputEnded() { break }
                // Wait for lines (or check again shortly, for the end of input).
                await wake.wait(timeout: .milliseconds(100))
                continue
            }
            // Let a young batch fill a little: fewer, larger pushes, each line still shipped within a second.
            if !inputEnded(), queue.openLines < queue.limits.maxBatchLines, let oldest = queue.oldestOpenMillis {
                let age = clock.nowMillis() - oldest
                let wait = batchDelay - .milliseconds(age)
                if wait > .zero { try? await Task.sleep(for: min(wait, batchDelay)) }
            }
            guard let batch = queue.next() else { continue }
            // At exit, no single request may outlast the flush timeout.
            var timeout: Duration = .seconds(60)
            if let deadline = deadline() { timeout = max(.seconds(1), min(timeout, deadline - .now)) }
            switch await send(batch, timeout: timeout) {
            case .stored:
                queue.acknowledge(batch.key)
                shipped.add(batch.lines, ordering: .relaxed)
                failures = 0
                lastTrouble = nil
            case .refused(let message):
                queue.discard(batch.key)
                refused.add(batch.lines, ordering: .relaxed)
                report(.refused(status: 400, message: message))
            case .retry(let after, let trouble):
                if let trouble, trouble != lastTrouble {
                    report(trouble)
                    lastTrouble = trouble
                }
                failures += 1
                let backoff = after ?? min(maxBackoff, .milliseconds(100) * (1 << min(failures, 6)))
                if let deadline = deadline(), ContinuousClock.now + backoff >= deadline { break }
                try? await Task.sleep(for: backoff)
            }
        }
        return Outcome(shippedLines: shippedLines, refusedLines: refused.load(ordering: .relaxed))
    }

    enum SendResult {
        case stored
        case refused(String)
        case retry(after: Duration?, Trouble?)
    }

    func send(_ batch: ShipQueue.Batch, timeout: Duration = .seconds(60)) async -> SendResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token.revealedValue)")
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.headers.add(name: "Idempotency-Key", value: batch.key)
        request.headers.add(name: "User-Agent", value: "vigil-run")
        request.body = .bytes(ByteBuffer(bytes: batch.body))
        do {
            let (seconds, attoseconds) = timeout.components
            let response = try await client.execute(request, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
            let body = try await response.body.collect(upTo: 1 << 20)
            let text = String(buffer: body)
            switch response.status.code {
            case 200..<300:
                return .stored
            case 429, 503:
                let after = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds(max(1, min($0, 60))) }
                return .retry(after: after, response.status.code == 503 ? .refused(status: 503, message: Self.message(text)) : nil)
            case 400, 413:
                return .refused(Self.message(text))
            default:
                // 401, 403, 404, 5xx: wrong token, no permission, no app, or a server problem. The lines are kept and
                // retried: fixing the permission or creating the app lets them through.
                return .retry(after: nil, .refused(status: Int(response.status.code), message: Self.message(text)))
            }
        } catch {
            return .retry(after: nil, .unreachable("\(error)"))
        }
    }

    /// The `message` of a Databricks error body, else the body's start.
    public static func message(_ body: String) -> String {
        if case .string(let message)? = (try? JSONParser.parse(body))?["message"] { return message }
        return String(body.prefix(200))
    }
}

/// Wakes one waiter when lines arrive; a signal with nobody waiting is kept for the next wait.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or a kept one), or after `timeout`.
    func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.signal()
            }
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            group.cancelAll()
        }
    }
}
