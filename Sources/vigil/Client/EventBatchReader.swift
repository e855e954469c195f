import Foundation
import VigilCore

/// Reads events from a file or stdin in batches without loading NDJSON whole: lines are read 1 MiB at a
/// time, so a multi-gigabyte export streams in constant memory. A JSON array has to be parsed as one
/// document and is read whole.
struct EventBatchReader {
    private let handle: FileHandle
    private let batchSize: Int
    /// Size of the input when it is a regular file (for the progress bar), else nil.
    let totalBytes: Int?
    private(set) var bytesRead = 0
    private var pending: [UInt8] = []
    /// Where the unread part of `pending` starts (consumed bytes are dropped on the next fill, not per line).
    private var start = 0
    private var arrayEvents: [String]?
    private var atEnd = false

    init(path: String, batchSize: Int) throws {
        if path == "-" {
            handle = FileHandle.standardInput
            totalBytes = nil
        } else {
            handle = try Self.open(path)
            totalBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        }
        self.batchSize = batchSize
    }

    /// The file, or a one-line reason it cannot be read: missing, a directory, not readable.
    static func open(_ path: String) throws -> FileHandle {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIFailure("cannot read \(path): no such file")
        }
        if isDirectory.boolValue { throw CLIFailure("\(path) is a directory; give a file of events (NDJSON or a JSON array)") }
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw CLIFailure("cannot read \(path): \(String(cString: strerror(errno)).lowercased())")
        }
        return opened
    }

    /// The next batch of compact event texts, or nil at the end of the input.
    mutating func nextBatch() throws -> [String]? {
        if arrayEvents == nil, bytesRead == 0 {
            try fill()
            if pending.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "[") {
                while !atEnd { try fill() }
                var parser = JSONParser(bytes: pending)
                do {
                    arrayEvents = try parser.parseArrayElements().map { JSONWriter.text(of: $0.value) }
                } catch {
                    throw CLIFailure("the input is not a valid JSON array: \(error)")
                }
                pending = []
            }
        }
        if var events = arrayEvents {
            guard !events.isEmpty else { return nil }
            let batch = Array(events.prefix(batchSize))
            events.removeFirst(batch.count)
            arrayEvents = events
            return batch
        }
        var batch: [String] = []
        while batch.count < batchSize {
            if let newline = pending[start...].firstIndex(of: 0x0A) {
                appendLine(pending[start..<newline], to: &batch)
                start = newline + 1
            } else if atEnd {
                appendLine(pending[start...], to: &batch)
                pending = []
                start = 0
                break
            } else {
                try fill()
            }
        }
        return batch.isEmpty ? nil : batch
    }

    private mutating func appendLine(_ line: ArraySlice<UInt8>, to batch: inout [String]) {
        guard line.contains(where: { ![0x20, 0x0D, 0x09].contains($0) }) else { return }
        batch.append(String(decoding: line, as: UTF8.self))
    }

    private mutating func fill() throws {
        guard !atEnd else { return }
        let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
        if chunk.isEmpty { atEnd = true; return }
        bytesRead += chunk.count
        if start > 0 {
            pending.removeFirst(start)
            start = 0
        }
        pending.append(contentsOf: chunk)
    }
}
