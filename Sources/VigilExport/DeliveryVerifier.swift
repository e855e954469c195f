import Crypto
import Foundation
import VigilCore
import VigilLedger

/// What `vigil delivery verify` found, line by line in the manner of `aws cloudtrail validate-logs`.
public struct DeliveryVerification: Sendable {
    public struct Line: Sendable, Equatable {
        /// `Digest file`, `Log file`, `Events` or `Checkpoint`.
        public var kind: String
        /// A URL, or a seq range for `Events`, or a tree size for `Checkpoint`.
        public var location: String
        /// nil when valid; else what is wrong.
        public var problem: String?
        /// A note that is neither valid nor invalid (files delivered after the newest digest).
        public var note: String?

        public var text: String {
            if let problem { return "\(kind)\t\(location)\tINVALID: \(problem)" }
            if let note { return "\(kind)\t\(location)\t\(note)" }
            return "\(kind)\t\(location)\tvalid"
        }
    }

    public var lines: [Line] = []
    public var digests = 0
    public var validDigests = 0
    public var files = 0
    public var validFiles = 0
    /// The seqs the digests cover without a gap from 0, if any.
    public var covered: ClosedRange<Int64>?
    public var oldestEventMillis: Int64?
    public var newestEventMillis: Int64?
    public var checkpointsMatched = 0

    /// Any digest, file, seq range or checkpoint invalid: exit status 1.
    public var failed: Bool { lines.contains { $0.problem != nil } }

    public var summary: [String] {
        var out: [String] = []
        if digests == 0 { out.append("No digests found") }
        if let covered {
            var line = "Results found for seq \(covered.lowerBound) to \(covered.upperBound)"
            if let oldest = oldestEventMillis, let newest = newestEventMillis {
                line += " (events \(Timestamp.formatRFC3339(millis: oldest)) to \(Timestamp.formatRFC3339(millis: newest)))"
            }
            out.append(line + ":")
        }
        out.append("\(validDigests)/\(digests) digest files valid" + (digests > validDigests ? ", \(digests - validDigests)/\(digests) digest files INVALID" : ""))
        out.append("\(validFiles)/\(files) log files valid" + (files > validFiles ? ", \(files - validFiles)/\(files) log files INVALID" : ""))
        if checkpointsMatched > 0 { out.append("\(checkpointsMatched) ledger checkpoint(s) recomputed from the delivered events") }
        let pending = lines.filter { $0.note != nil && $0.kind == "Log file" }.count
        if pending > 0 { out.append("\(pending) log file(s) delivered after the newest digest, not yet covered") }
        let writing = lines.filter { $0.note != nil && $0.kind == "Digest file" }.count
        if writing > 0 { out.append("\(writing) digest file(s) written while this run listed the bucket, verified next time") }
        return out
    }
}

/// Checks a delivery: the digest chain (signatures, links, locations), every listed file's SHA-256, that the
/// listed seq ranges cover every event from seq 0 without a gap or an overlap, that no log file is there that no
/// digest lists, and that the events in the files recompute the roots of the ledger checkpoints the digests name.
public struct DeliveryVerifier: Sendable {
    public let target: any DeliveryTarget
    /// Trusted verifier keys (the checkpoint keys: `<data-dir>/keys/*.pub` or `--public-key`).
    public let keys: [NoteKey]
    /// Called after each file is read (progress).
    public let progress: @Sendable (Int, Int) -> Void

    public init(target: any DeliveryTarget, keys: [NoteKey], progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) {
        self.target = target
        self.keys = keys
        self.progress = progress
    }

    struct ReadDigest {
        var key: String
        var digest: DeliveryDigest
        var hash: String
        var signature: String
    }

    public func verify() async throws -> DeliveryVerification {
        var report = DeliveryVerification()
        let objects = try await target.list()
        let present = Set(objects)
        let digestKeys = objects.filter(DeliveryLayout.isDigestKey)
        report.digests = digestKeys.count

        // 1. Each digest alone: readable, signed by a trusted key, where it says it is.
        var digests: [ReadDigest] = []
        for key in digestKeys {
            guard let bytes = try await target.get(key) else { continue }
            let location = target.url(of: key)
            let digest: DeliveryDigest
            do { digest = try DeliveryDigest(bytes: bytes) } catch {
                report.lines.append(.init(kind: "Digest file", location: location, problem: "invalid format: \(error)"))
                continue
            }
            guard digest.object == key else {
                report.lines.append(.init(kind: "Digest file", location: location, problem: "has been moved from its original location \(digest.object)"))
                continue
            }
            guard let signatureBytes = try await target.get(key + DeliveryLayout.signatureSuffix),
                  let line = String(bytes: signatureBytes, encoding: .utf8), let signature = DeliveryDigest.signature(ofLine: line) else {
                report.lines.append(.init(kind: "Digest file", location: location, problem: "signature not found (\(key + DeliveryLayout.signatureSuffix))"))
                continue
            }
            guard let trusted = keys.first(where: { Hex.encode($0.keyID) == digest.keyFingerprint }) else {
                report.lines.append(.init(kind: "Digest file", location: location, problem: "public key not found for fingerprint \(digest.keyFingerprint)"))
                continue
            }
            let body = DeliveryDigest.signedBody(endMillis: digest.endMillis, object: key, bytes: bytes, previousSignature: digest.previousSignature)
            do { _ = try trusted.verify(note: body + "\n" + line.trimmingCharacters(in: .whitespacesAndNewlines) + "\n") } catch {
                report.lines.append(.init(kind: "Digest file", location: location, problem: "signature verification failed"))
                continue
            }
            digests.append(ReadDigest(key: key, digest: digest, hash: Hex.encode(SHA256.hash(data: bytes)), signature: signature))
        }

        // 2. The chain, oldest first: each digest names the one before it, by object, hash and signature.
        digests.sort { ($0.digest.endMillis, $0.key) < ($1.digest.endMillis, $1.key) }
        var validLinks = Set<String>()
        for (index, current) in digests.enumerated() {
            let location = target.url(of: current.key)
            let before = index > 0 ? digests[index - 1] : nil
            var problem: String?
            switch (current.digest.previousObject, before) {
            case (nil, nil):
                break
            case (nil, let before?):
                problem = "starts a new chain after \(target.url(of: before.key)) (the chain was cut)"
            case (let previous?, let before) where !present.contains(previous):
                // The missing digest is the invalid one (and any deleted with it, between it and the one before).
                let between = before.map { ", nor any digest between it and \(target.url(of: $0.key))" } ?? ""
                report.lines.append(.init(kind: "Digest file", location: target.url(of: previous), problem: "not found\(between)"))
                report.digests += 1
            case (let previous?, nil):
                problem = "the digest before it, \(target.url(of: previous)), is not a valid digest"
            case (let previous?, let before?) where previous != before.key:
                problem = "names \(target.url(of: previous)) before it, but \(target.url(of: before.key)) is there: a digest outside the chain"
            case (_, let before?):
                if current.digest.previousHash != before.hash {
                    problem = "previous digest hash value doesn't match \(target.url(of: before.key))"
                } else if current.digest.previousSignature != before.signature {
                    problem = "previous digest signature doesn't match \(target.url(of: before.key))"
                }
            }
            if let problem {
                report.lines.append(.init(kind: "Digest file", location: location, problem: problem))
            } else {
                report.lines.append(.init(kind: "Digest file", location: location))
                validLinks.insert(current.key)
            }
        }
        report.validDigests = validLinks.count

        // 3. Every file a digest lists, by hash; then the seq coverage.
        var listed: [String: DeliveredFileRecord] = [:]
        var fileProblems = Set<String>()
        let records = digests.flatMap(\.digest.files)
        report.files = records.count
        for (index, record) in records.enumerated() {
            progress(index + 1, records.count)
            let location = target.url(of: record.key)
            listed[record.key] = record
            guard let bytes = try await target.get(record.key) else {
                report.lines.append(.init(kind: "Log file", location: location, problem: "not found"))
                fileProblems.insert(record.key)
                continue
            }
            guard Hex.encode(SHA256.hash(data: bytes)) == record.sha256 else {
                report.lines.append(.init(kind: "Log file", location: location, problem: "hash value doesn't match"))
                fileProblems.insert(record.key)
                continue
            }
            report.lines.append(.init(kind: "Log file", location: location))
            report.validFiles += 1
        }
        let ranges = records.flatMap(\.seqRanges).sorted { $0.lowerBound < $1.lowerBound }
        var next: Int64 = 0
        for range in ranges {
            if range.lowerBound > next {
                report.lines.append(.init(kind: "Events", location: "seq \(next)–\(range.lowerBound - 1)", problem: "in no file a digest lists (a gap)"))
            } else if range.lowerBound < next {
                report.lines.append(.init(kind: "Events", location: "seq \(range.lowerBound)–\(min(range.upperBound, next - 1))", problem: "listed twice"))
            }
            next = max(next, range.upperBound + 1)
        }
        if next > 0 { report.covered = 0...(next - 1) }
        report.oldestEventMillis = records.map(\.oldestEventMillis).min()
        report.newestEventMillis = records.map(\.newestEventMillis).max()

        // 4. Log files no digest lists: newer than the coverage is "not yet covered"; inside it, planted.
        // A digest's .sig is expected only beside a digest: anywhere else (a partition folder Spark reads) it is planted.
        let signatures = Set(digestKeys.map { $0 + DeliveryLayout.signatureSuffix })
        for key in objects where !DeliveryLayout.isDigestKey(key) && !signatures.contains(key) && listed[key] == nil {
            let location = target.url(of: key)
            if let parsed = DeliveryLayout.parseLogKey(key) {
                if parsed.batch.lowerBound >= next {
                    report.lines.append(.init(kind: "Log file", location: location, note: "delivered after the newest digest (not yet covered)"))
                } else {
                    report.lines.append(.init(kind: "Log file", location: location, problem: "not listed in any digest (an extra file)"))
                }
            } else if key.hasPrefix(DeliveryLayout.digestFolder + "/"), key.hasSuffix(".json" + DeliveryLayout.signatureSuffix) {
                let digestKey = String(key.dropLast(DeliveryLayout.signatureSuffix.count))
                let digest = target.url(of: digestKey)
                // Already named by the chain walk (the next digest's link to it).
                guard !report.lines.contains(where: { $0.location == digest && $0.problem?.hasPrefix("not found") == true }) else { continue }
                // A live delivery writes the signature, then the digest: a listing taken between the two sees the
                // signature alone. If the digest is there now, it is newer than this run, not deleted.
                if try await target.get(digestKey) != nil {
                    report.lines.append(.init(kind: "Digest file", location: digest, note: "written while this run listed the bucket (verified next time)"))
                    continue
                }
                report.lines.append(.init(kind: "Digest file", location: digest, problem: "not found, but its signature is there (a deleted digest)"))
                report.digests += 1
            } else if !(key as NSString).lastPathComponent.hasPrefix(".") {
                report.lines.append(.init(kind: "Object", location: location, problem: "not a file Vigil delivers (an extra object)"))
            }
        }

        // 5. The ledger: recompute each named checkpoint's root from the events in the files, in seq order.
        if fileProblems.isEmpty, !report.lines.contains(where: { $0.kind == "Events" && $0.problem != nil }) {
            try await checkCheckpoints(digests: digests, records: records, report: &report)
        }
        return report
    }

    private func checkCheckpoints(digests: [ReadDigest], records: [DeliveredFileRecord], report: inout DeliveryVerification) async throws {
        var wanted: [UInt64: Checkpoint] = [:]
        for read in digests {
            guard let note = read.digest.checkpoint else { continue }
            var body: String?
            for key in keys { if let verified = try? key.verify(note: note) { body = verified; break } }
            guard let body, let checkpoint = try? Checkpoint(body: body) else {
                report.lines.append(.init(kind: "Checkpoint", location: target.url(of: read.key), problem: "its checkpoint is not signed by a trusted key"))
                continue
            }
            wanted[checkpoint.size] = checkpoint
        }
        guard !wanted.isEmpty else { return }
        let batches = Dictionary(grouping: records, by: \.batch).sorted { $0.key.lowerBound < $1.key.lowerBound }
        var range = CompactRange()
        let decoder = EventDecoder()
        func check() {
            guard let checkpoint = wanted[range.size] else { return }
            if range.root() == checkpoint.root {
                report.lines.append(.init(kind: "Checkpoint", location: "tree size \(checkpoint.size)"))
                report.checkpointsMatched += 1
            } else {
                report.lines.append(.init(kind: "Checkpoint", location: "tree size \(checkpoint.size)", problem: "the delivered events do not produce its root"))
            }
            wanted[checkpoint.size] = nil
        }
        defer {
            // A checkpoint the listed files do not reach yet (its events are in files a later digest will list).
            for size in wanted.keys.sorted() {
                report.lines.append(.init(kind: "Checkpoint", location: "tree size \(size)", note: "not reached by the listed files yet"))
            }
        }
        for (batch, files) in batches where !wanted.isEmpty {
            var leaves = [MerkleHash?](repeating: nil, count: batch.count)
            for file in files {
                guard let bytes = try await target.get(file.key) else { return }
                let seqs = file.seqRanges.lazy.flatMap { $0 }
                var iterator = seqs.makeIterator()
                var lineNumber = 0
                for line in bytes.split(separator: UInt8(ascii: "\n")) {
                    lineNumber += 1
                    var problems: [ValidationProblem] = []
                    guard let seq = iterator.next(), batch.contains(seq),
                          let value = try? JSONParser.parse(Array(line)),
                          let event = decoder.decode(value, index: lineNumber, nowMillis: Int64.max / 4, problems: &problems) else {
                        report.lines.append(.init(kind: "Log file", location: target.url(of: file.key), problem: "line \(lineNumber) is not the audit event its seq ranges promise"))
                        return
                    }
                    leaves[Int(seq - batch.lowerBound)] = MerkleHasher.leafHash(event.canonicalBytes())
                }
            }
            for leaf in leaves {
                guard let leaf else {
                    report.lines.append(.init(kind: "Events", location: "seq \(batch.lowerBound)–\(batch.upperBound)", problem: "a seq of the batch is in none of its files"))
                    return
                }
                range.append(leaf)
                check()
            }
        }
    }
}
