import Foundation
import Testing
import VigilCore
@testable import VigilExport

/// The signer against AWS's published vectors (reference interop-formats.md §1.5).
struct SigV4Tests {
    static let suite = SigV4(credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                             region: "us-east-1", service: "service")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    func signature(_ signer: SigV4, method: String = "GET", path: String, query: [(String, String)] = [], headers: [(String, String)],
                   payloadHash: String = emptyHash, date: Date = suiteDate) -> String {
        let added = signer.sign(method: method, path: path, query: query, headers: headers, payloadHash: payloadHash, date: date)
        let authorization = added.first { $0.0 == "Authorization" }!.1
        return String(authorization.split(separator: "=").last!)
    }

    @Test("the AWS SigV4 test suite: vanilla GET and POST, query order, UTF-8 and unreserved paths, a form body, a session token")
    func suiteVectors() {
        let host = [("Host", "example.amazonaws.com")]
        #expect(signature(Self.suite, path: "/", headers: host) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(signature(Self.suite, path: "/", query: [("Param1", "value1")], headers: host) == "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb")
        #expect(signature(Self.suite, path: "/", query: [("Param2", "value2"), ("Param1", "value1")], headers: host)
            == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        #expect(signature(Self.suite, path: "/ሴ", headers: host) == "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85")
        #expect(signature(Self.suite, path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", headers: host) == "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f")
        #expect(signature(Self.suite, method: "POST", path: "/", headers: host) == "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        let form = "Param1=value1"
        #expect(signature(Self.suite, method: "POST", path: "/", headers: host + [("Content-Type", "application/x-www-form-urlencoded")],
                          payloadHash: "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
            == "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a", "\(form)")
        var withToken = Self.suite
        withToken.credentials.sessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
        #expect(signature(withToken, path: "/", headers: host) == "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8")
        #expect(hexString(SigV4.signingKey(secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", date: "20150830", region: "us-east-1", service: "iam"))
            == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")
    }

    @Test("the S3 API reference examples: a ranged GET, a PUT of test$file.text, ?lifecycle, a listing with max-keys and prefix")
    func s3Vectors() {
        let s3 = SigV4(credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                       region: "us-east-1", service: "s3")
        let date = Date(timeIntervalSince1970: 1_369_353_600)  // 20130524T000000Z
        let host = ("Host", "examplebucket.s3.amazonaws.com")
        let empty = ("x-amz-content-sha256", Self.emptyHash)
        #expect(signature(s3, path: "/test.txt", headers: [host, ("Range", "bytes=0-9"), empty], date: date)
            == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        let bodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        #expect(signature(s3, method: "PUT", path: "/test$file.text",
                          headers: [host, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                                    ("x-amz-content-sha256", bodyHash)], payloadHash: bodyHash, date: date)
            == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        #expect(signature(s3, path: "/", query: [("lifecycle", "")], headers: [host, empty], date: date)
            == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        #expect(signature(s3, path: "/", query: [("max-keys", "2"), ("prefix", "J")], headers: [host, empty], date: date)
            == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("the canonical request: headers lowercased, trimmed, joined when repeated, sorted; unsigned ones left out; no path normalisation")
    func canonicalForm() {
        let (canonical, signed) = SigV4.canonicalRequest(
            method: "GET", path: "/a//b/../c d", query: [("b", "2 3"), ("a", "x/y")],
            headers: [("Host", "h"), ("My-Header", "  v1   v2 "), ("my-header", "v3"), ("User-Agent", "x"), ("Connection", "close")],
            payloadHash: "UNSIGNED-PAYLOAD")
        #expect(canonical == "GET\n/a//b/../c%20d\na=x%2Fy&b=2%203\nhost:h\nmy-header:v1 v2,v3\n\nhost;my-header\nUNSIGNED-PAYLOAD")
        #expect(signed == "host;my-header")
        #expect(SigV4.amzDate(Self.suiteDate) == "20150830T123600Z")
    }
}

private func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// How S3 requests are addressed and its XML answers read.
struct S3AddressingTests {
    @Test("path-style on a custom endpoint, virtual-hosted on AWS; keys and queries encoded as they are signed")
    func addressing() throws {
        let credentials = SigV4.Credentials(accessKeyID: "k", secretAccessKey: "s")
        let moto = S3Target(location: S3Location(bucket: "vigil-logs", prefix: "/audit/", endpoint: "http://127.0.0.1:5055/"), credentials: credentials)
        #expect(moto.location.addressing == .path)
        #expect(moto.displayURL == "s3://vigil-logs/audit")
        let put = try moto.address(object: moto.objectKey("workspaceId=1/date=2026-11-30/auditlogs_0-9.json"), query: [])
        #expect(put.url == "http://127.0.0.1:5055/vigil-logs/audit/workspaceId%3D1/date%3D2026-11-30/auditlogs_0-9.json")
        #expect(put.host == "127.0.0.1:5055")
        let list = try moto.address(object: nil, query: [("list-type", "2"), ("prefix", "audit/")])
        #expect(list.url == "http://127.0.0.1:5055/vigil-logs?list-type=2&prefix=audit%2F")
        let aws = S3Target(location: S3Location(bucket: "vigil-logs", prefix: "", region: "eu-west-1"), credentials: credentials)
        #expect(aws.location.addressing == .virtual)
        let object = try aws.address(object: aws.objectKey("a b.json"), query: [("uploads", "")])
        #expect(object.url == "https://vigil-logs.s3.eu-west-1.amazonaws.com/a%20b.json?uploads=")
        #expect(object.host == "vigil-logs.s3.eu-west-1.amazonaws.com")
        #expect(object.path == "/a b.json")
        #expect(aws.partSize == 8 << 20)
        #expect(S3Target(location: aws.location, credentials: credentials, partSize: 1).partSize == 5 << 20)
        #expect(String(describing: credentials).contains("s") && !String(describing: credentials).contains("secretAccessKey: \"s\""))
    }

    @Test("s3:// URLs: a bucket name S3 allows, an optional prefix; anything else is refused with the reason")
    func urls() throws {
        #expect(try S3Location.parse("s3://vigil-logs/audit/x") == ("vigil-logs", "/audit/x"))
        #expect(try S3Location.parse("s3://vigil-logs") == ("vigil-logs", ""))
        for bad in ["s3://", "s3://ab", "s3://Upper", "s3://under_score/x", "https://bucket"] {
            #expect(throws: VigilError.self, "\(bad)") { try S3Location.parse(bad) }
        }
    }

    @Test("XML answers: every Key of a listing, the first Code and Message of an error, entities decoded")
    func xml() {
        let listing = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a%2Fb</Key></Contents><Contents><Key>c&amp;d</Key></Contents><NextContinuationToken>t1</NextContinuationToken></ListBucketResult>"
        #expect(XMLText.all("Key", in: listing) == ["a%2Fb", "c&d"])
        #expect(XMLText.first("NextContinuationToken", in: listing) == "t1")
        #expect(XMLText.first("Missing", in: listing) == nil)
        #expect(XMLText.escape("\"e<t>&\"") == "&quot;e&lt;t&gt;&amp;&quot;")
        #expect(XMLText.unescape(XMLText.escape("\"e<t>&\"")) == "\"e<t>&\"")
    }
}
