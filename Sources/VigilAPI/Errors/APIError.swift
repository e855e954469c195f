import Hummingbird
import VigilCore

/// The one table from errors to HTTP status and Databricks `error_code` (reference databricks.md §4.0).
/// Codes the SDK would retry (429, 503) are used only for conditions that really pass.
public enum APIError {
    static let unauthenticated = VigilError(.unauthenticated, "Credential was not sent or was of an unsupported type for this API; send Authorization: Bearer <token>")

    struct Mapping {
        let status: HTTPResponse.Status
        let errorCode: String
    }

    static func mapping(for code: VigilError.Code) -> Mapping? {
        switch code {
        case .invalidParameter, .validationFailed: Mapping(status: .badRequest, errorCode: "INVALID_PARAMETER_VALUE")
        case .requestTooLarge: Mapping(status: .contentTooLarge, errorCode: "BAD_REQUEST")
        case .unsupportedMediaType: Mapping(status: .unsupportedMediaType, errorCode: "BAD_REQUEST")
        case .invalidState: Mapping(status: .badRequest, errorCode: "INVALID_STATE")
        case .notFound: Mapping(status: .notFound, errorCode: "RESOURCE_DOES_NOT_EXIST")
        case .unauthenticated: Mapping(status: .unauthorized, errorCode: "UNAUTHENTICATED")
        case .permissionDenied: Mapping(status: .forbidden, errorCode: "PERMISSION_DENIED")
        case .eventIDConflict, .alreadyExists: Mapping(status: .conflict, errorCode: "ALREADY_EXISTS")
        case .resourceAlreadyExists: Mapping(status: .conflict, errorCode: "RESOURCE_ALREADY_EXISTS")
        case .overloaded: Mapping(status: .tooManyRequests, errorCode: "RESOURCE_EXHAUSTED")
        case .unavailable: Mapping(status: .serviceUnavailable, errorCode: "TEMPORARILY_UNAVAILABLE")
        default: nil
        }
    }

    /// The response for any error a handler threw. Unknown errors become a bare 500 naming only the request
    /// id; their detail goes to the log, never to the client.
    static func response(for error: any Error, requestID: String) -> (Response, message: String) {
        if let error = error as? VigilError, let mapping = mapping(for: error.code) {
            var headers = HTTPFields()
            if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = String(retryAfter) }
            return (errorResponse(mapping.status, mapping.errorCode, error.message, problems: error.problems, headers: headers), error.message)
        }
        if let error = error as? HTTPError {
            switch error.status {
            case .notFound:
                let message = "No API found for this path and method"
                return (errorResponse(.notFound, "ENDPOINT_NOT_FOUND", message), message)
            case .contentTooLarge:
                let message = "the request body is larger than the limit"
                return (errorResponse(.contentTooLarge, "BAD_REQUEST", message), message)
            case .methodNotAllowed:
                let message = "method not allowed on this path"
                return (errorResponse(.methodNotAllowed, "BAD_REQUEST", message), message)
            default:
                let message = error.body ?? error.status.reasonPhrase
                return (errorResponse(error.status, "BAD_REQUEST", message), message)
            }
        }
        let message = "internal error; quote request id \(requestID) to the operator"
        return (errorResponse(.internalServerError, "INTERNAL_ERROR", message), message)
    }

    /// A SCIM error (RFC 7644 §3.12) that Databricks clients also read: `schemas`, `detail`, `status` (a string)
    /// and `scimType`, plus `error_code` and `message` so the SDK maps it to the right exception either way.
    static func scimErrorResponse(_ status: HTTPResponse.Status, message: String, headers: HTTPFields) -> Response {
        let code: String =
            switch status.code {
            case 400: "INVALID_PARAMETER_VALUE"
            case 401: "UNAUTHENTICATED"
            case 403: "PERMISSION_DENIED"
            case 404: "RESOURCE_DOES_NOT_EXIST"
            case 409: "RESOURCE_ALREADY_EXISTS"
            default: "INTERNAL_ERROR"
            }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("schemas"); writer.beginArray(); writer.string("urn:ietf:params:scim:api:messages:2.0:Error"); writer.endArray(); writer.comma()
        writer.key("detail"); writer.string(message); writer.comma()
        writer.key("status"); writer.string(String(status.code)); writer.comma()
        if status.code == 409 { writer.key("scimType"); writer.string("uniqueness"); writer.comma() }
        if status.code == 400, message.hasPrefix("invalid filter") { writer.key("scimType"); writer.string("invalidFilter"); writer.comma() }
        writer.key("error_code"); writer.string(code); writer.comma()
        writer.key("message"); writer.string(message)
        writer.endObject()
        // Only headers that describe the error travel over; the old body's length must not.
        var kept = HTTPFields()
        if let value = headers[.retryAfter] { kept[.retryAfter] = value }
        if let value = headers[.wwwAuthenticate] { kept[.wwwAuthenticate] = value }
        return JSONResponse.make(writer.bytes, status: status, headers: kept)
    }

    /// `{"error_code": ..., "message": ..., "details": [...]}`; details list each validation problem as
    /// `{index, field, reason, message}`.
    static func errorResponse(
        _ status: HTTPResponse.Status, _ errorCode: String, _ message: String, problems: [ValidationProblem] = [],
        headers: HTTPFields = HTTPFields()
    ) -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error_code"); writer.string(errorCode); writer.comma()
        writer.key("message"); writer.string(message)
        if !problems.isEmpty {
            writer.comma()
            writer.key("details")
            writer.beginArray()
            for (position, problem) in problems.enumerated() {
                if position > 0 { writer.comma() }
                writer.beginObject()
                writer.key("index"); writer.integer(problem.index); writer.comma()
                writer.key("field"); writer.string(problem.field); writer.comma()
                writer.key("reason"); writer.string(problem.reason.rawValue); writer.comma()
                writer.key("message"); writer.string(problem.detail)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        return JSONResponse.make(writer.bytes, status: status, headers: headers)
    }
}
