/// The error every Vigil module throws. Domain code knows nothing of HTTP: `VigilAPI` maps `code` to a
/// status and a Databricks `error_code` in one table.
public struct VigilError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A request parameter is malformed or out of range.
        public static let invalidParameter = Code(rawValue: "invalid_parameter")
        /// One or more ingested events failed validation (see `problems`).
        public static let validationFailed = Code(rawValue: "validation_failed")
        public static let requestTooLarge = Code(rawValue: "request_too_large")
        /// The body is in an encoding Vigil does not read (`Content-Encoding` other than gzip or identity).
        public static let unsupportedMediaType = Code(rawValue: "unsupported_media_type")
        public static let notFound = Code(rawValue: "not_found")
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        public static let permissionDenied = Code(rawValue: "permission_denied")
        /// The same `event_id` was sent with different content.
        public static let eventIDConflict = Code(rawValue: "event_id_conflict")
        public static let alreadyExists = Code(rawValue: "already_exists")
        /// A named resource (an app) exists already: Databricks' `RESOURCE_ALREADY_EXISTS`.
        public static let resourceAlreadyExists = Code(rawValue: "resource_already_exists")
        /// The request is valid but the resource is not in a state that allows it (starting a running cluster):
        /// Databricks' `INVALID_STATE`.
        public static let invalidState = Code(rawValue: "invalid_state")
        /// The ingest queue is full; retry after `retryAfterSeconds`.
        public static let overloaded = Code(rawValue: "overloaded")
        /// The store cannot accept writes (disk error, shutting down).
        public static let unavailable = Code(rawValue: "unavailable")
        public static let `internal` = Code(rawValue: "internal")
    }

    public var code: Code
    public var message: String
    public var problems: [ValidationProblem]
    public var retryAfterSeconds: Int?
    public var underlying: (any Error & Sendable)?

    public init(
        _ code: Code, _ message: String, problems: [ValidationProblem] = [], retryAfterSeconds: Int? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.problems = problems
        self.retryAfterSeconds = retryAfterSeconds
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
