extension IngestBody {
    /// Splits `body` and decodes each item with `decode`, enforcing the request limits (no items, too many items, an
    /// item too large) on the way. Every problem lands in `problems`; the decoded items are complete only when
    /// `problems` stays empty (decoding goes on to report everything, but stops collecting at the first problem).
    /// Audit events and node timeline rows share this; `item` names what the body holds ("event", "row").
    public static func decode<Decoded>(
        _ body: [UInt8], contentType: String?, limits: IngestLimits, item: String, problems: inout [ValidationProblem],
        _ decode: (JSONValue, Int, inout [ValidationProblem]) -> Decoded?
    ) -> (decoded: [Decoded], count: Int) {
        let items = split(body, format: format(contentType: contentType), problems: &problems)
        if items.isEmpty, problems.isEmpty {
            problems.append(.init(index: 0, field: "", reason: .emptyRequest, detail: "the request holds no \(item)s"))
        }
        if items.count > limits.maxEventsPerRequest {
            problems.append(.init(index: limits.maxEventsPerRequest, field: "", reason: .tooManyEvents,
                                  detail: "got \(items.count) \(item)s, want at most \(limits.maxEventsPerRequest) per request"))
        }
        var decoded: [Decoded] = []
        decoded.reserveCapacity(items.count)
        for (index, entry) in items.enumerated() {
            if entry.byteCount > limits.maxEventBytes {
                problems.append(.init(index: index, field: "", reason: .eventTooLarge,
                                      detail: "\(item) is \(entry.byteCount) bytes, want at most \(limits.maxEventBytes)"))
                continue
            }
            guard let value = entry.value, let result = decode(value, index, &problems) else { continue }
            if problems.isEmpty { decoded.append(result) }
        }
        return (decoded, items.count)
    }
}
