import Logging
import ServiceLifecycle
import UnixSignals
import VigilAPI
import VigilCore

/// Writes the summaries of requests the per-address limit refused (one audit record per address and window),
/// every few seconds and once more at shutdown, before the sequencer stops.
struct SuppressedRequestsRecorder: Service {
    let gate: UnauthenticatedGate
    let recorder: SelfAuditRecorder
    let clock: any WallClock
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await flush(all: false)
            }
        }
        await flush(all: true)
    }

    private func flush(all: Bool) async {
        do {
            try await gate.recordSummaries(with: recorder, wallClock: clock, all: all)
        } catch {
            logger.error("Refused-request summaries could not be audited", metadata: ["error": "\(error)"])
        }
    }
}

/// Reloads the TLS certificate and key on SIGHUP, as `nginx -s reload` does: rotate the files, send the signal,
/// and new connections get the new certificate without a restart.
struct TLSReloadService: Service {
    let certificates: TLSCertificates
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    try certificates.reload()
                    logger.notice("TLS certificate reloaded", metadata: ["certificate": "\(certificates.certificatePath)"])
                } catch {
                    logger.error("TLS certificate reload failed; the current certificate stays in use", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
