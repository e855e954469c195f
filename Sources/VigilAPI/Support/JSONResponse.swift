import Hummingbird
import NIOCore
import VigilCore

/// Responses whose JSON Vigil writes itself (field order and escaping under our control).
enum JSONResponse {
    static func make(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = HTTPFields()) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func write(status: HTTPResponse.Status = .ok, _ build: (inout JSONWriter) -> Void) -> Response {
        var writer = JSONWriter(reservingCapacity: 1024)
        build(&writer)
        return make(writer.bytes, status: status)
    }

    /// `{}`: what Databricks answers for successes without data (the legacy CLI needs a JSON body).
    static var empty: Response { make(Array("{}".utf8)) }
}
