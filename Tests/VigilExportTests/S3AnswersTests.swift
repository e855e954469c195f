import Foundation
import Testing
import VigilCore
import VigilTesting
@testable import VigilExport

/// What S3Target makes of S3's answers, against a scripted HTTP peer: errors carry S3's code and message, a
/// multipart upload that S3 refuses (even in a 200) is aborted, a missing object is nil, and listings follow
/// continuation tokens and decode their keys.
@Suite("S3 answers")
struct S3AnswersTests {
    static let credentials = SigV4.Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static func target(_ url: String, prefix: String = "audit") -> S3Target {
        S3Target(location: S3Location(bucket: "vigil-logs", prefix: prefix, endpoint: url), credentials: credentials, partSize: 5 << 20)
    }

    static func error(_ code: String, _ message: String) -> String {
        #"<?xml version="1.0" encoding="UTF-8"?><Error><Code>\#(code)</Code><Message>\#(message)</Message><RequestId>R</RequestId></Error>"#
    }

    @Test("a refused PUT throws with the status, S3's code and message; a body that is not S3's XML gives the status alone")
    func refusedPut() async throws {
        try await WebhookReceiver.run(script: [.init(403, Self.error("SignatureDoesNotMatch", "The request signature we calculated does not match")),
                                               .init(503, "<html>busy</html>")]) { receiver in
            let target = Self.target(receiver.url)
            do {
                try await target.put("workspaceId=1/date=2026-12-01/auditlogs_1-2.json", bytes: Array("{}\n".utf8))
                Issue.record("a 403 was taken as success")
            } catch let error as VigilError {
                #expect(error.message == "S3 PUT workspaceId=1/date=2026-12-01/auditlogs_1-2.json: HTTP 403 SignatureDoesNotMatch: The request signature we calculated does not match")
            }
            do {
                try await target.put("x.json", bytes: [1])
                Issue.record("a 503 was taken as success")
            } catch let error as VigilError {
                #expect(error.message == "S3 PUT x.json: HTTP 503 HTTP 503")
            }
            let put = try #require(receiver.received.first)
            #expect(put.method == "PUT" && put.path == "/vigil-logs/audit/workspaceId%3D1/date%3D2026-12-01/auditlogs_1-2.json")
            #expect(put.headers["authorization"]?.contains("/us-east-1/s3/aws4_request") == true)
        }
    }

    @Test("a multipart upload completed with a 200 that holds an <Error> fails and is aborted; a failed part aborts it too")
    func multipartRefusals() async throws {
        let created = #"<InitiateMultipartUploadResult><Bucket>vigil-logs</Bucket><Key>k</Key><UploadId>up-1</UploadId></InitiateMultipartUploadResult>"#
        let big = [UInt8](repeating: 0x41, count: (5 << 20) + 10)
        try await WebhookReceiver.run(script: [
            .init(200, created), .init(200, "", headers: ["ETag": "\"e1\""]), .init(200, "", headers: ["ETag": "\"e2\""]),
            .init(200, Self.error("InternalError", "We encountered an internal error. Please try again.")), .init(204),
            .init(200, created), .init(500, Self.error("SlowDown", "Reduce your request rate.")), .init(204),
        ]) { receiver in
            let target = Self.target(receiver.url)
            do {
                try await target.put("big.json", bytes: big)
                Issue.record("an <Error> in a 200 was taken as success")
            } catch let error as VigilError {
                #expect(error.message == "S3 CompleteMultipartUpload big.json: InternalError: We encountered an internal error. Please try again.")
            }
            do {
                try await target.put("big.json", bytes: big)
                Issue.record("a failed part was taken as success")
            } catch let error as VigilError {
                #expect(error.message == "S3 UploadPart 1 of big.json: HTTP 500 SlowDown: Reduce your request rate.")
            }
            let requests = receiver.received.map { "\($0.method) \($0.query ?? "")" }
            #expect(requests == ["POST uploads=", "PUT partNumber=1&uploadId=up-1", "PUT partNumber=2&uploadId=up-1", "POST uploadId=up-1",
                                 "DELETE uploadId=up-1", "POST uploads=", "PUT partNumber=1&uploadId=up-1", "DELETE uploadId=up-1"])
            #expect(receiver.received[1].body.count == 5 << 20 && receiver.received[2].body.count == 10)
            #expect(receiver.received[3].text.contains("<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"))
        }
    }

    @Test("GET: a missing object is nil, another error throws; a listing follows its continuation token and decodes keys")
    func getAndList() async throws {
        let page1 = """
            <ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t+1/=</NextContinuationToken>
            <Contents><Key>audit/workspaceId%3D1/a+b.json</Key></Contents><Contents><Key>audit/_digests/x%26y.json</Key></Contents></ListBucketResult>
            """
        let page2 = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>audit/z.json</Key></Contents></ListBucketResult>"
        try await WebhookReceiver.run(script: [.init(404, Self.error("NoSuchKey", "gone")), .init(403, Self.error("AccessDenied", "Access Denied")),
                                               .init(200, page1), .init(200, page2)]) { receiver in
            let target = Self.target(receiver.url)
            let missing = try await target.get("missing.json")
            #expect(missing == nil)
            await #expect(throws: VigilError.self) { _ = try await target.get("secret.json") }
            let keys = try await target.list()
            #expect(keys == ["_digests/x&y.json", "workspaceId=1/a b.json", "z.json"])
            let second = receiver.received[3]
            #expect(second.query?.contains("continuation-token=t%2B1%2F%3D") == true, "\(second.query ?? "")")
            #expect(second.query?.contains("prefix=audit%2F") == true)
        }
    }
}
